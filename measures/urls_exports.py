"""Routes of the period report (exports); included from measures/urls.py under the measures namespace."""

urlpatterns = []
