from django import template
from django.conf import settings

from ..views import cas_enabled, cas_name, oidc_enabled, provider_name

register = template.Library()


@register.inclusion_tag("directory/sign_in_button.html", takes_context=True)
def directory_sign_in(context):
    return {
        "ldap": bool(getattr(settings, "AUTH_LDAP_SERVER_URI", "")),
        "cas": cas_enabled(),
        "cas_name": cas_name(),
        "enabled": oidc_enabled(),
        "provider": provider_name(),
        "next": context.get("next", ""),
    }
