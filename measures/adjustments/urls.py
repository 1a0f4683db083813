from django.urls import path

from measures.adjustments import views as changes
from measures.tasks.urls import TASK

urlpatterns = [
    path("adjustments/", changes.AdjustmentListView.as_view(), name="adjustment-list"),
    path(TASK + "adjustments/new/<slug:kind>/", changes.propose, name="adjustment-create"),
    path("adjustments/<int:pk>/", changes.adjustment_detail, name="adjustment-detail"),
    path("adjustments/<int:pk>/approve/", changes.approve, name="adjustment-approve"),
    path("adjustments/<int:pk>/reject/", changes.reject, name="adjustment-reject"),
    path("adjustments/<int:pk>/cancel/", changes.cancel, name="adjustment-cancel"),
]
