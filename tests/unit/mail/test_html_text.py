from chalicelib.mail.html_text import html_to_text


def test_scripts_styles_and_head_are_dropped():
    html = "<head><title>t</title><style>b{}</style></head><script>x()</script><p>Visible</p><noscript>n"
    assert html_to_text(html) == "Visible"


def test_links_keep_their_text_and_show_their_address():
    assert (
        html_to_text('<a href="https://shop.example/track">Track it</a>')
        == "Track it (https://shop.example/track)"
    )


def test_a_link_whose_text_is_its_address_is_not_repeated():
    assert html_to_text('<a href="mailto:s@shop.example">s@shop.example</a>') == "s@shop.example"


def test_javascript_links_keep_only_their_text():
    assert html_to_text('<a href="javascript:steal()">Click</a>') == "Click"


def test_entities_are_decoded():
    assert (
        html_to_text("<p>5 &lt; 6 &amp;&amp; caf&eacute; &#20320;&#x597D;&nbsp;!</p>")
        == "5 < 6 && café 你好 !"
    )


def test_block_elements_become_line_breaks_and_paragraphs_blank_lines():
    html = "<div>one</div><div>two</div><p>three</p><p>four<br>five</p><ul><li>a</li><li>b</li></ul>"
    assert html_to_text(html) == "one\ntwo\n\nthree\n\nfour\nfive\n\n- a\n- b"


def test_gmail_empty_line_divs_are_kept():
    assert html_to_text("<div>Hi</div><div><br></div><div>Bye</div>") == "Hi\n\nBye"


def test_blockquotes_become_quoted_lines():
    assert html_to_text("<p>New</p><blockquote><p>Old</p><blockquote>Older</blockquote></blockquote>") == (
        "New\n\n> Old\n>\n> > Older"
    )


def test_whitespace_is_collapsed_except_in_pre():
    assert html_to_text("<p>a   b\n c</p><pre>x\n   y</pre>") == "a b c\n\nx\n   y"


def test_unclosed_tags_and_stray_brackets_do_not_lose_text():
    assert html_to_text("<p>Hello <b>world</p> 3 < 4 <div") == "Hello world\n\n3 < 4 <div"
