"""Settings for directory sign-in, built from environment variables (docs/deploy.md lists them).

Called from ftztracker/settings.py, and by the tests with their own environment. Each function
returns the settings its library reads, or {} when that kind of sign-in is off (the default).
"""

from django.core.exceptions import ImproperlyConfigured

LDAP_BACKEND = "directory.backends.DirectoryLDAPBackend"
OIDC_BACKEND = "directory.backends.DirectoryOIDCBackend"
CAS_BACKEND = "directory.backends.DirectoryCASBackend"


def _bool(env, name, default=False):
    value = env.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def ldap_settings(env):
    """django-auth-ldap's AUTH_LDAP_* settings; LDAP is on when FTZ_LDAP_SERVER_URI is set."""
    uri = env.get("FTZ_LDAP_SERVER_URI", "").strip()
    if not uri:
        return {}
    import ldap
    from django_auth_ldap.config import (
        ActiveDirectoryGroupType,
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPSearch,
        NestedGroupOfNamesType,
        PosixGroupType,
    )

    group_types = {
        "groupOfNames": GroupOfNamesType,
        "nestedGroupOfNames": NestedGroupOfNamesType,
        "groupOfUniqueNames": GroupOfUniqueNamesType,
        "posixGroup": PosixGroupType,
        "activeDirectory": ActiveDirectoryGroupType,
    }
    conf = {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": env.get("FTZ_LDAP_BIND_DN", ""),
        "AUTH_LDAP_BIND_PASSWORD": env.get("FTZ_LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": _bool(env, "FTZ_LDAP_START_TLS"),
        "AUTH_LDAP_USER_ATTR_MAP": {
            "first_name": env.get("FTZ_LDAP_ATTR_FIRST_NAME", "givenName"),
            "last_name": env.get("FTZ_LDAP_ATTR_LAST_NAME", "sn"),
            "email": env.get("FTZ_LDAP_ATTR_EMAIL", "mail"),
        },
        # Roles come from our own rules (directory.services), not from mirrored Django groups.
        "AUTH_LDAP_MIRROR_GROUPS": False,
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: int(env.get("FTZ_LDAP_TIMEOUT", 10)),
            ldap.OPT_TIMEOUT: int(env.get("FTZ_LDAP_TIMEOUT", 10)),
            ldap.OPT_REFERRALS: 0,
        },
    }
    if template := env.get("FTZ_LDAP_USER_DN_TEMPLATE", "").strip():
        conf["AUTH_LDAP_USER_DN_TEMPLATE"] = template
    elif base := env.get("FTZ_LDAP_USER_SEARCH_BASE", "").strip():
        conf["AUTH_LDAP_USER_SEARCH"] = LDAPSearch(
            base, ldap.SCOPE_SUBTREE, env.get("FTZ_LDAP_USER_FILTER", "(uid=%(user)s)")
        )
    else:
        raise ImproperlyConfigured(
            "FTZ_LDAP_SERVER_URI needs FTZ_LDAP_USER_SEARCH_BASE (or FTZ_LDAP_USER_DN_TEMPLATE) to find users."
        )
    if group_base := env.get("FTZ_LDAP_GROUP_SEARCH_BASE", "").strip():
        kind = env.get("FTZ_LDAP_GROUP_TYPE", "groupOfNames")
        if kind not in group_types:
            raise ImproperlyConfigured(
                f"FTZ_LDAP_GROUP_TYPE must be one of {', '.join(group_types)}, not {kind!r}."
            )
        default_filter = {
            "groupOfNames": "(objectClass=groupOfNames)",
            "nestedGroupOfNames": "(objectClass=groupOfNames)",
            "groupOfUniqueNames": "(objectClass=groupOfUniqueNames)",
            "posixGroup": "(objectClass=posixGroup)",
            "activeDirectory": "(objectClass=group)",
        }[kind]
        conf["AUTH_LDAP_GROUP_SEARCH"] = LDAPSearch(
            group_base, ldap.SCOPE_SUBTREE, env.get("FTZ_LDAP_GROUP_FILTER", default_filter)
        )
        conf["AUTH_LDAP_GROUP_TYPE"] = group_types[kind]()
    if required := env.get("FTZ_LDAP_REQUIRE_GROUP", "").strip():
        conf["AUTH_LDAP_REQUIRE_GROUP"] = required
    return conf


def oidc_settings(env):
    """mozilla-django-oidc's OIDC_* settings; OpenID Connect is on when FTZ_OIDC_CLIENT_ID is set."""
    client_id = env.get("FTZ_OIDC_CLIENT_ID", "").strip()
    if not client_id:
        return {}
    names = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "FTZ_OIDC_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT": "FTZ_OIDC_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT": "FTZ_OIDC_USERINFO_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT": "FTZ_OIDC_JWKS_ENDPOINT",
        "FTZ_OIDC_ISSUER": "FTZ_OIDC_ISSUER",
    }
    missing = [var for var in names.values() if not env.get(var, "").strip()]
    if missing:
        raise ImproperlyConfigured(
            f"FTZ_OIDC_CLIENT_ID needs {', '.join(missing)} (`manage.py oidc_discover <issuer>` prints them)."
        )
    conf = {setting: env[var].strip() for setting, var in names.items()}
    conf |= {
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": env.get("FTZ_OIDC_CLIENT_SECRET", ""),
        "OIDC_RP_SIGN_ALGO": env.get("FTZ_OIDC_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": env.get("FTZ_OIDC_SCOPES", "openid email profile"),
        "OIDC_USE_PKCE": _bool(env, "FTZ_OIDC_USE_PKCE", True),
        "OIDC_TOKEN_USE_BASIC_AUTH": _bool(env, "FTZ_OIDC_TOKEN_BASIC_AUTH"),
        "OIDC_TIMEOUT": int(env.get("FTZ_OIDC_TIMEOUT", 10)),
        "OIDC_VERIFY_SSL": _bool(env, "FTZ_OIDC_VERIFY_SSL", True),
        "LOGIN_REDIRECT_URL_FAILURE": "login",
        # The claim whose value becomes the user name of a new account (the subject if taken or absent).
        "FTZ_OIDC_USERNAME_CLAIM": env.get("FTZ_OIDC_USERNAME_CLAIM", "preferred_username"),
        "FTZ_OIDC_NAME": env.get("FTZ_OIDC_NAME", "").strip(),
    }
    return conf


def cas_settings(env):
    """django-cas-ng's CAS_* settings; CAS is on when FTZ_CAS_SERVER_URL is set."""
    url = env.get("FTZ_CAS_SERVER_URL", "").strip()
    if not url:
        return {}
    version = env.get("FTZ_CAS_VERSION", "3")
    if version not in {"2", "3"}:
        raise ImproperlyConfigured(f"FTZ_CAS_VERSION must be 2 or 3, not {version!r}.")
    return {
        # python-cas joins the validation path onto this URL, so it must end with a slash.
        "CAS_SERVER_URL": url if url.endswith("/") else url + "/",
        "CAS_VERSION": version,
        "CAS_VERIFY_SSL_CERTIFICATE": _bool(env, "FTZ_CAS_VERIFY_SSL", True),
        # Signing in says nothing, as with the other ways in.
        "CAS_LOGIN_MSG": None,
        "CAS_LOGGED_MSG": None,
        "CAS_REDIRECT_URL": "/",
        "CAS_IGNORE_REFERER": True,
        "FTZ_CAS_NAME": env.get("FTZ_CAS_NAME", "").strip(),
    }
