"""What a signed-in person sees first, drawing on every app: the home page, the my page and the top bar."""
