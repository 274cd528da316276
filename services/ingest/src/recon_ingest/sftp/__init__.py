"""The SFTP server through which banks deliver files."""
