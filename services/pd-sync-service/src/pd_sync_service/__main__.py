from pd_sync_service.app import main

main()
