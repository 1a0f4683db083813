"""Print the FTZ_OIDC_* environment lines for a provider, read from its discovery document.

The endpoints are settings rather than looked up at start-up, so the site starts (and local
accounts work) while the provider is unreachable.
"""

import requests
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Read an OpenID Connect provider's discovery document and print the FTZ_OIDC_* settings."

    def add_arguments(self, parser):
        parser.add_argument(
            "issuer", help="the provider's issuer URL, e.g. https://id.example.gov/realms/office"
        )
        parser.add_argument("--timeout", type=int, default=10)

    def handle(self, *args, issuer, timeout, **options):
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=timeout)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise CommandError(f"Could not read {url}: {exc}") from exc
        fields = {
            "FTZ_OIDC_ISSUER": "issuer",
            "FTZ_OIDC_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
            "FTZ_OIDC_TOKEN_ENDPOINT": "token_endpoint",
            "FTZ_OIDC_USERINFO_ENDPOINT": "userinfo_endpoint",
            "FTZ_OIDC_JWKS_ENDPOINT": "jwks_uri",
        }
        missing = [key for key in fields.values() if not document.get(key)]
        if missing:
            raise CommandError(f"The discovery document has no {', '.join(missing)}.")
        if document["issuer"].rstrip("/") != issuer.rstrip("/"):
            raise CommandError(f"The document names another issuer: {document['issuer']}")
        for variable, key in fields.items():
            self.stdout.write(f"{variable}={document[key]}")
        algorithms = document.get("id_token_signing_alg_values_supported") or []
        if algorithms and "RS256" not in algorithms:
            self.stdout.write(f"FTZ_OIDC_SIGN_ALGO={algorithms[0]}")
