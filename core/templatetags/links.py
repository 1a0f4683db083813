"""{% link 'name' %} / {% link 'name' as var %}: {% url %} for a view without arguments, reversed
once per process rather than on every page.

The top bar draws about 25 such links on every page; each {% url %} walks the URL resolver again
(a millisecond or two of a list page's time). Such a link depends on nothing in the request but
the script prefix and, for namespaces with several instances, the current app; both are part of
the key, as is the URLconf.
"""

from django import template
from django.conf import settings
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as url_tag
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_reversed = {}


class LinkNode(URLNode):
    def render(self, context):
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = (
            self.view_name.var,
            get_urlconf() or settings.ROOT_URLCONF,
            get_script_prefix(),
            current_app,
        )
        url = _reversed.get(key)
        if url is None:
            try:
                if len(_reversed) > 10_000:
                    # The script prefix comes from the server; bounded whatever it sends.
                    _reversed.clear()
                url = _reversed[key] = reverse(str(self.view_name.var), current_app=current_app)
            except NoReverseMatch:
                # As {% url ... as var %}: a missing view leaves the variable empty.
                if not self.asvar:
                    raise
                url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def link(parser, token):
    node = url_tag(parser, token)
    if node.view_name.is_var or node.view_name.filters or node.args or node.kwargs:
        raise template.TemplateSyntaxError(
            "{% link %} takes a quoted view name and no arguments; use {% url %}"
        )
    return LinkNode(node.view_name, node.args, node.kwargs, node.asvar)
