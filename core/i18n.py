"""Pick the Chinese or English form of a bilingual value for the active language."""

from django.utils.translation import get_language


def english_active():
    return (get_language() or "").startswith("en")


def localized(chinese, english):
    """English where the UI is English and a translation exists; the plan's Chinese otherwise."""
    if english_active() and english:
        return english
    return chinese
