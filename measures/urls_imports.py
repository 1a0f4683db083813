"""Routes of the period report (imports); included from measures/urls.py under the measures namespace."""

urlpatterns = []
