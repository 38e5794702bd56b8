-- Each service owns its database (no service reads another's).
CREATE DATABASE rotation;
CREATE DATABASE provisioner;
CREATE DATABASE pdsync;
