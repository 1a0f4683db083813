"""Distinguished names compared the way LDAP does: attribute names and values without regard to
case or the spaces around separators."""

import ldap.dn


def normalize_dn(text):
    """The DN in one canonical spelling, or None when it is not a DN."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        parts = ldap.dn.str2dn(text)
    except ldap.DECODING_ERROR:
        return None
    if not parts or any(not value for rdn in parts for _attr, value, _flags in rdn):
        return None
    return ldap.dn.dn2str(parts).lower()
