"""Command-line options shared by load_plan, import_plan and import_fyp: the administrator's decisions."""

import getpass
import hashlib
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import DatabaseError

from .plan_import import assign_zone_codes, parse_zone_codes
from .revision import Revision, RevisionError, RevisionOptions, parse_match, read_document, read_match_file


def add_revision_arguments(parser):
    group = parser.add_argument_group("revision decisions")
    group.add_argument(
        "--match",
        action="append",
        default=[],
        metavar="ZONE:OLD=NEW",
        help="confirm that task OLD of ZONE is the document's task NEW (ZONE:OLD=new: different tasks)",
    )
    group.add_argument("--match-file", help="a file of ZONE:OLD=NEW lines, one pairing a line")
    group.add_argument(
        "--accept-similar",
        action="store_true",
        help="accept every uncertain pairing as the preview proposes it",
    )
    group.add_argument(
        "--agency-alias",
        action="append",
        default=[],
        metavar="NAME=KNOWN",
        help="an unknown agency NAME is another name of the known agency KNOWN (recorded as an alias)",
    )
    group.add_argument(
        "--agency-rename",
        action="append",
        default=[],
        metavar="KNOWN=NAME",
        help="the known agency KNOWN is now called NAME (same row, liaisons and requests; old name kept as alias)",
    )
    group.add_argument(
        "--agency-create",
        action="append",
        default=[],
        metavar="NAME",
        help="create the unknown agency NAME (needed with --strict)",
    )
    group.add_argument(
        "--strict", action="store_true", help="refuse unknown agencies instead of creating them"
    )
    group.add_argument("--user", help="the administrator applying the revision (username), for the record")


def _pairs(values, flag):
    pairs = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise CommandError(f"{flag} {value}: expected two names joined by =")
        pairs.append((left.strip(), right.strip()))
    return pairs


def revision_options(options, command):
    try:
        matches = dict(parse_match(value) for value in options["match"])
        if options.get("match_file"):
            matches = {**read_match_file(options["match_file"]), **matches}
    except (RevisionError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    actions = {}
    for name, known in _pairs(options["agency_alias"], "--agency-alias"):
        actions[name] = ("alias", known)
    for known, name in _pairs(options["agency_rename"], "--agency-rename"):
        actions[name] = ("rename", known)
    for name in options["agency_create"]:
        actions[name.strip()] = ("create", "")
    user = None
    if options.get("user"):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user {options['user']}: no such user")
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "?"
    return RevisionOptions(
        matches=matches,
        accept_similar=options["accept_similar"],
        agency_actions=actions,
        strict=options["strict"],
        user=user,
        via=f"{command} ({who})",
    )


def add_zone_code_argument(parser):
    parser.add_argument(
        "--zone-code",
        action="append",
        default=[],
        metavar="NAME=CODE",
        help="the code of a zone (by its name or generated code), e.g. 西青经开区=xiqing-3, when "
        "another plan's zone already has the pinyin code",
    )


def zone_codes(command, objects, plan_code, values):
    """Apply --zone-code and keep codes clear of other plans' zones; prints what was chosen."""
    try:
        notes = assign_zone_codes(objects, plan_code, parse_zone_codes(values))
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    for note in notes:
        command.stdout.write(note)


def preview(command, objects, source, options, name):
    """The change list of a document against the database (import_plan / import_fyp --dry-run)."""
    try:
        doc = read_document(json.loads(json.dumps(objects)))
        doc.source_name = Path(source).name
        doc.sha256 = hashlib.sha256(Path(source).read_bytes()).hexdigest()
        changes = Revision(doc, revision_options(options, name)).changes
    except RevisionError as exc:
        raise CommandError(f"{Path(source).name}: {exc}") from exc
    except DatabaseError:
        command.stdout.write("Changes against the database: not shown (the database is not migrated yet).")
        return
    command.stdout.write("Changes against the database:")
    command.stdout.write(changes.format())
