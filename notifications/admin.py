from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import Channel, Delivery, Escalation, EscalationRule, JobRun, Notification, Preference


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what was sent: kept as they are."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "audience", "zone", "agency", "window_minutes", "active"]
    list_filter = ["kind", "audience", "active"]
    search_fields = ["name", "zone__name", "agency__name"]
    autocomplete_fields = ["agency"]
    actions = ["send_test"]
    change_form_template = "admin/notifications/channel/change_form.html"

    def get_urls(self):
        own = [
            path(
                "<int:pk>/test/",
                self.admin_site.admin_view(self.test_view),
                name="notifications_channel_test",
            )
        ]
        return own + super().get_urls()

    def test_view(self, request, pk):
        channel = get_object_or_404(Channel, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, channel):
            return redirect("admin:notifications_channel_change", pk)
        services.send_test_message(channel=channel, user=request.user)
        self.message_user(
            request,
            _("A test message to %(channel)s is on its way; its result appears under Deliveries.")
            % {"channel": channel},
            messages.SUCCESS,
        )
        return redirect("admin:notifications_channel_change", pk)

    @admin.action(description=gettext_lazy("Send a test message"))
    def send_test(self, request, queryset):
        for channel in queryset:
            services.send_test_message(channel=channel, user=request.user)
        self.message_user(
            request, _("%(count)s test messages are on their way.") % {"count": queryset.count()}
        )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient",
        "window",
        "item_count",
        "status",
        "attempts",
        "response_code",
        "sent_at",
    ]
    list_filter = ["kind", "status", "is_test"]
    search_fields = ["channel__name", "recipient__username", "error"]
    date_hierarchy = "created_at"
    exclude = ["notifications"]
    list_select_related = ["channel", "recipient"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "level", "title", "zone", "read_at"]
    list_filter = ["kind", "level", "needs_action"]
    search_fields = ["title", "recipient__username"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient", "zone"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "mode"]
    list_filter = ["kind", "mode"]
    search_fields = ["user__username"]


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = [
        "plan",
        "blue_days",
        "yellow_days",
        "red_days",
        "include_requests",
        "include_milestones",
        "active",
    ]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["issued_at", "level", "subject", "label", "zone", "agency", "days_late", "settled_at"]
    list_filter = ["level", "subject", "plan", "zone", "agency"]
    search_fields = ["label"]
    exclude = ["recipients"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "window", "started_at", "finished_at", "result"]
    list_filter = ["job"]
