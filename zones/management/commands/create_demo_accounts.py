"""Create the role groups and demo accounts, printing each new password once."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from core.roles import Role, ensure_groups
from zones.models import Agency, Profile, Zone


class Command(BaseCommand):
    help = (
        "Create groups and demo accounts (administrator, manager, one officer per zone, "
        "a zone leader of the first zone, and a liaison of the agency that supports the most tasks)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="give existing demo accounts new passwords")

    @transaction.atomic
    def handle(self, *args, reset, **options):
        ensure_groups()
        User = get_user_model()
        accounts = [("admin", Role.ADMINISTRATOR, None), ("manager", Role.MANAGER, None)]
        zones = list(Zone.objects.order_by("plan", "annex_number"))
        accounts += [(f"officer_{zone.code}", Role.OFFICER, zone) for zone in zones]
        # A zone leader (单位负责人) reads the zone's work and receives its escalations. Theirs is the
        # first zone of the first plan loaded (西青 of the second batch, which generate_demo_data
        # fills), not of whichever plan sorts first, so the demo leader has reports to sign off.
        leader_zone = Zone.objects.order_by("plan_id", "annex_number").first()
        if leader_zone is not None:
            accounts.append((f"leader_{leader_zone.code}", Role.LEADER, leader_zone))
        busiest = Agency.objects.annotate(n=Count("task_links")).order_by("-n", "name").first()
        if busiest is not None:
            accounts.append(("liaison", Role.LIAISON, busiest))
        printed = []
        for username, role, binding in accounts:
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
            if isinstance(binding, Zone):
                profile.zones.add(binding)
            elif isinstance(binding, Agency):
                profile.agency = binding
                profile.save(update_fields=["agency"])
            printed.append((username, password, role.label + (f" · {binding.name}" if binding else "")))
        if not printed:
            self.stdout.write("Demo accounts already exist (use --reset to issue new passwords).")
            return
        self.stdout.write(self.style.SUCCESS("Demo accounts (passwords are shown only this once):"))
        for username, password, description in printed:
            self.stdout.write(f"  {username:<18} {password:<16} {description}")
