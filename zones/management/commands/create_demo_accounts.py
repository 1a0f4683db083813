"""Create the role groups and demo accounts, printing each new password once."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from zones.models import Profile, Zone
from zones.roles import Role, ensure_groups


class Command(BaseCommand):
    help = "Create groups and demo accounts (administrator, manager, one officer per zone)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="give existing demo accounts new passwords")

    @transaction.atomic
    def handle(self, *args, reset, **options):
        ensure_groups()
        User = get_user_model()
        accounts = [("admin", Role.ADMINISTRATOR, None), ("manager", Role.MANAGER, None)]
        accounts += [
            (f"officer_{zone.code}", Role.OFFICER, zone)
            for zone in Zone.objects.order_by("plan", "annex_number")
        ]
        printed = []
        for username, role, zone in accounts:
            user, created = User.objects.get_or_create(username=username)
            if not (created or reset):
                continue
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.is_staff = role == Role.ADMINISTRATOR
            user.is_superuser = role == Role.ADMINISTRATOR
            user.save()
            user.groups.add(Group.objects.get(name=role.group_name))
            profile, _ = Profile.objects.get_or_create(user=user)
            if zone is not None:
                profile.zones.add(zone)
            printed.append((username, password, role.label + (f" · {zone.name}" if zone else "")))
        if not printed:
            self.stdout.write("Demo accounts already exist (use --reset to issue new passwords).")
            return
        self.stdout.write(self.style.SUCCESS("Demo accounts (passwords are shown only this once):"))
        for username, password, description in printed:
            self.stdout.write(f"  {username:<18} {password:<16} {description}")
