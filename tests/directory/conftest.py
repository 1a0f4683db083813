import pytest

from core.roles import Role
from directory.conf import CAS_BACKEND, LDAP_BACKEND, OIDC_BACKEND, cas_settings, ldap_settings, oidc_settings
from directory.models import DirectoryRule, Source
from zones.models import Agency, Zone

from . import ldap_server as L
from .cas_server import CasServer
from .oidc_provider import CLIENT_ID, Provider


def password(uid):
    return f"{uid}-Directory-2026"


PEOPLE = [
    L.person("liwei", "伟", "李", password("liwei")),
    L.person("zhangmin", "敏", "张", password("zhangmin")),
    L.person("wangfang", "芳", "王", password("wangfang")),
    L.person("chenjie", "杰", "陈", password("chenjie"), mail=False),
    L.person("zhaolei", "磊", "赵", password("zhaolei")),
    L.person("sunli", "丽", "孙", password("sunli")),
]
GROUPS = [
    # Spelled with capitals and spaces on purpose: the rules are written in another spelling.
    L.group("Xiqing Officers", "liwei"),
    L.group("wuqing-officers", "liwei"),
    L.group("ftz-managers", "zhangmin", "zhaolei"),
    L.group("commerce-liaisons", "wangfang"),
    L.group("all-staff", "liwei", "zhangmin", "wangfang", "chenjie", "zhaolei", "sunli"),
    L.group("ftz-admins", "sunli"),
]


def group_dn(cn):
    return f"cn={cn},{L.GROUPS}"


@pytest.fixture(scope="session")
def ldap_directory(tmp_path_factory):
    server = L.start(tmp_path_factory.mktemp("slapd"), L.directory_ldif(PEOPLE, GROUPS))
    yield server
    L.stop(server)


@pytest.fixture
def ldap_on(settings, ldap_directory):
    """LDAP sign-in configured as an operator would, from environment variables."""
    for name, value in ldap_settings(ldap_directory.env()).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, LDAP_BACKEND]
    return ldap_directory


@pytest.fixture(scope="session")
def oidc_server():
    with Provider() as provider:
        yield provider


@pytest.fixture
def oidc_provider(settings, oidc_server):
    """OpenID Connect sign-in configured from environment variables, with the provider reset."""
    oidc_server.next_claims = {}
    oidc_server.userinfo_overrides = {}
    oidc_server.signing_key = None
    oidc_server.audience = CLIENT_ID
    oidc_server.issuer_override = None
    for name, value in oidc_settings(oidc_server.env()).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, OIDC_BACKEND]
    return oidc_server


@pytest.fixture(scope="session")
def cas_server_process():
    with CasServer() as server:
        yield server


@pytest.fixture
def cas_server(settings, cas_server_process):
    """CAS sign-in configured from environment variables."""
    cas_server_process.next_user = None
    cas_server_process.next_attributes = {}
    for name, value in cas_settings(cas_server_process.env()).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, CAS_BACKEND]
    return cas_server_process


@pytest.fixture
def xiqing(db):
    return Zone.objects.get(code="xiqing")


@pytest.fixture
def wuqing(db):
    return Zone.objects.get(code="wuqing")


@pytest.fixture
def commerce(db):
    return Agency.objects.get(name="市商务局")


def make_rule(source, value, role, zones=(), agency=None, claim=""):
    rule = DirectoryRule(source=source, value=value, role=role, agency=agency, claim=claim)
    rule.full_clean()
    rule.save()
    rule.zones.set(zones)
    return rule


@pytest.fixture
def ldap_rules(xiqing, wuqing, commerce):
    # Written in another spelling than the directory's, as an administrator might type them.
    return {
        "xiqing": make_rule(
            Source.LDAP, "cn=xiqing officers, ou=Groups, dc=FTZ, dc=test", Role.OFFICER, [xiqing]
        ),
        "wuqing": make_rule(Source.LDAP, group_dn("wuqing-officers"), Role.OFFICER, [wuqing]),
        "managers": make_rule(Source.LDAP, group_dn("ftz-managers"), Role.MANAGER),
        "liaisons": make_rule(Source.LDAP, group_dn("commerce-liaisons"), Role.LIAISON, agency=commerce),
        "admins": make_rule(Source.LDAP, group_dn("ftz-admins"), Role.ADMINISTRATOR),
    }


@pytest.fixture
def oidc_rules(xiqing, commerce):
    return {
        "xiqing": make_rule(Source.OIDC, "ftz-xiqing-officers", Role.OFFICER, [xiqing], claim="groups"),
        "managers": make_rule(Source.OIDC, "ftz-managers", Role.MANAGER, claim="groups"),
        "liaisons": make_rule(Source.OIDC, "市商务局", Role.LIAISON, agency=commerce, claim="department"),
    }


@pytest.fixture
def cas_rules(xiqing, commerce):
    return {
        "xiqing": make_rule(Source.CAS, "ftz-xiqing-officers", Role.OFFICER, [xiqing], claim="memberOf"),
        "managers": make_rule(Source.CAS, "ftz-managers", Role.MANAGER, claim="memberOf"),
        "liaisons": make_rule(Source.CAS, "市商务局", Role.LIAISON, agency=commerce, claim="ou"),
    }
