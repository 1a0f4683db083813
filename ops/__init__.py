"""Operations: backup and restore (ops.backup, manage.py backup / restore)."""
