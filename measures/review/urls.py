from django.urls import path

from measures.review import views

urlpatterns = [
    path("reviews/", views.review_queue, name="review-queue"),
    path("reviews/accept/", views.batch_accept, name="review-batch-accept"),
    path("reviews/<int:pk>/", views.review_report, name="review-report"),
]
