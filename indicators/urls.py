from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("zones/<slug:code>/indicators/", views.scorecard, name="scorecard"),
    path("zones/<slug:code>/indicators/<int:period_id>/", views.enter_values, name="enter"),
    path("indicators/", views.across_zones, name="across"),
    path("indicators/review/", views.ReviewQueueView.as_view(), name="review"),
    path("indicators/values/<int:pk>/review/", views.review_value, name="review-value"),
    path("indicators/values/<int:pk>/evidence/", views.download_evidence, name="evidence"),
]
