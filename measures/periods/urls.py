from django.urls import path

from measures.periods import views as periods

urlpatterns = [
    path("periods/", periods.period_list, name="period-list"),
    path("periods/<int:pk>/lock/", periods.lock_period, name="period-lock"),
    path("periods/<int:pk>/reopen/", periods.reopen_period, name="period-reopen"),
]
