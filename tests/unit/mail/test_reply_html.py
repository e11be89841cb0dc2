import pytest

from chalicelib.mail.reply_html import quote_start, strip_html_reply

NEW = "<div>Thanks, received.</div>"
# The element each client puts its quoted history in; the attribution text inside names no known phrase, so only
# the element can tell.
MARKERS = {
    "gmail": '<div class="gmail_quote"><div class="gmail_attr">Someone, sometime:</div><blockquote>old</blockquote>',
    "outlook web": '<hr tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><b>Mittente:</b> x</div><div>old</div>',
    "outlook desktop": '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
                       "<p><b>Mittente:</b> x</p></div><p>old</p>",
    "new outlook": '<div id="mail-editor-reference-message-container"><div>Mittente: x</div>old</div>',
    "apple mail": '<blockquote type="cite">Someone, sometime:</blockquote><blockquote type="cite">old</blockquote>',
    "yahoo": '<div id="yahoo_quoted_8765" class="yahoo_quoted"><div>Someone, sometime:</div><div>old</div></div>',
    "thunderbird": '<div class="moz-cite-prefix">Someone, sometime:<br></div><blockquote>old</blockquote>',
    "qq mail and foxmail": "<div><includetail><div>—— x ——</div><div>old</div></includetail></div>",
    # 163 and 126 write the attribution above their element, in words the text rules know (see the corpus)
    "163 and 126": '<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex">old</blockquote>',
}


@pytest.mark.parametrize("client", MARKERS)
def test_the_quote_element_of_each_client_ends_the_new_text(client):
    assert strip_html_reply(f"<html><body>{NEW}{MARKERS[client]}</body></html>") == "Thanks, received."


def test_html_without_a_quote_element_is_read_as_text_and_its_blockquotes_as_quoted_lines():
    html = "<div>Yes.</div><div>On Fri, Nov 20, 2026 at 10:00 Shop &lt;s@shop.example&gt; wrote:</div>" \
           "<blockquote>Which size?</blockquote>"
    assert quote_start(html) is None
    assert strip_html_reply(html) == "Yes."


def test_the_offset_of_the_quote_counts_lines_and_columns():
    html = "<div>one</div>\n<div>two</div>\n  <div class=\"gmail_quote\">old</div>"
    assert html[quote_start(html):].startswith('<div class="gmail_quote">')


def test_a_blockquote_a_person_wrote_is_not_a_cite():
    html = "<div>As your page says:</div><blockquote>free returns</blockquote><div>so I return it.</div>"
    assert "so I return it." in strip_html_reply(html)


def test_a_damaged_document_is_still_read():
    assert strip_html_reply("<div>Hi <b>there</div></span><<<>>>") .startswith("Hi there")
