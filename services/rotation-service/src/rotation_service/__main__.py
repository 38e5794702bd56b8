from rotation_service.entrypoints.cli import main

main()
