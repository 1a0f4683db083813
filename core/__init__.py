"""The shared layer every app builds on; it has no models and imports none of the apps."""
