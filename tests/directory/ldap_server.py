"""A real OpenLDAP server for the tests: Debian's slapd with its own slapd.conf and database in a
temporary folder, listening on a free loopback port (`make test` installs slapd and ldap-utils)."""

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "dc=ftz,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SCHEMA_DIR = Path("/etc/ldap/schema")

CONFIG = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin_dn}"
rootpw {admin_password}
directory {root}/db
access to attrs=userPassword by anonymous auth by self read by * none
access to * by users read by * none
"""


def person(uid, given, family, password, mail=True):
    entry = [
        f"dn: uid={uid},{PEOPLE}",
        "objectClass: inetOrgPerson",
        f"uid: {uid}",
        f"cn: {given} {family}",
        f"givenName: {given}",
        f"sn: {family}",
        f"userPassword: {password}",
    ]
    if mail:
        entry.append(f"mail: {uid}@ftz.test")
    return "\n".join(entry)


def group(cn, *uids):
    # groupOfNames needs at least one member; the admin stands in for an empty group.
    members = [f"member: uid={uid},{PEOPLE}" for uid in uids] or [f"member: {ADMIN_DN}"]
    return "\n".join([f"dn: cn={cn},{GROUPS}", "objectClass: groupOfNames", f"cn: {cn}", *members])


def directory_ldif(people, groups):
    base = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: ftz\no: FTZ test directory",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
    ]
    return "\n\n".join(base + list(people) + list(groups)) + "\n"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_slapd():
    return shutil.which("slapd") or ("/usr/sbin/slapd" if os.access("/usr/sbin/slapd", os.X_OK) else None)


@dataclass
class LdapServer:
    uri: str
    root: Path
    process: subprocess.Popen

    def modify(self, ldif):
        """Change the running directory (ldapmodify as the admin)."""
        subprocess.run(
            ["ldapmodify", "-x", "-H", self.uri, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
            input=ldif,
            text=True,
            check=True,
            capture_output=True,
        )

    def env(self, **extra):
        """The environment variables an operator would set for this directory."""
        return {
            "FTZ_LDAP_SERVER_URI": self.uri,
            "FTZ_LDAP_BIND_DN": ADMIN_DN,
            "FTZ_LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
            "FTZ_LDAP_USER_SEARCH_BASE": PEOPLE,
            "FTZ_LDAP_GROUP_SEARCH_BASE": GROUPS,
            "FTZ_LDAP_GROUP_TYPE": "groupOfNames",
            **extra,
        }


def start(root, ldif, ready_within=15):
    """Load `ldif` offline with slapadd, then run slapd in the foreground (-d 0) on a free loopback
    port until `stop`. Returns once the port accepts connections."""
    slapd = find_slapd()
    if slapd is None:
        raise RuntimeError(
            "slapd is not installed: run `make ldap-server` (Debian packages slapd, ldap-utils)."
        )
    root = Path(root)
    (root / "db").mkdir(parents=True)
    conf = root / "slapd.conf"
    conf.write_text(
        CONFIG.format(
            schema=SCHEMA_DIR, root=root, suffix=SUFFIX, admin_dn=ADMIN_DN, admin_password=ADMIN_PASSWORD
        )
    )
    (root / "data.ldif").write_text(ldif)
    slapadd = str(Path(slapd).with_name("slapadd"))
    subprocess.run([slapadd, "-f", str(conf), "-l", str(root / "data.ldif")], check=True, capture_output=True)
    port = free_port()
    log = (root / "slapd.log").open("w")
    process = subprocess.Popen(
        [slapd, "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"], stdout=log, stderr=log
    )
    deadline = time.monotonic() + ready_within
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            pass
        try:
            # Waits a little for the listener, and notices a slapd that exited instead.
            code = process.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"slapd did not listen within {ready_within} s") from None
            continue
        raise RuntimeError(f"slapd exited with {code}: {(root / 'slapd.log').read_text()}")
    return LdapServer(uri=f"ldap://127.0.0.1:{port}/", root=root, process=process)


def stop(server):
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
