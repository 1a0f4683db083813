"""Constants shared by test modules."""

# Queries every signed-in request makes before its view runs: the session row and the user.
SESSION = 2
