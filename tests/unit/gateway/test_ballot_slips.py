"""The printed ballot slips (issue 17 item 2): each carries the person, the link with the
slip's token and a QR code of exactly that link (segno, inline SVG)."""
import segno
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.dashboard import slips
from services.gateway.dashboard.views import ENV

LINK = "https://dudao.example/dashboard/ballot/AbC-def_1234567890xyz"


def test_a_slip_has_the_link_and_a_qr_code_of_it():
    slip = slips.slip("张三", LINK)
    assert slip["person"] == "张三" and slip["link"] == LINK
    svg = str(slip["qr"])
    assert svg.startswith("<svg") and "<path" in svg and "测评票二维码" in svg
    # the code drawn is the one segno makes for the link itself (no other data in it)
    assert svg == segno.make(LINK, error="m").svg_inline(scale=4, border=2, title="测评票二维码")
    assert segno.make(LINK, error="m").designator.endswith("-M")


def test_the_slips_page_prints_every_person_with_the_warning_and_escapes_names():
    page = ENV.get_template("slips.html").render(
        unit_name="县档案馆", survey={"survey_id": "s-1", "survey_round": 1},
        slips=[slips.slip("<b>李四</b>", LINK + "a"), slips.slip("王五", LINK + "b")])
    assert "仅此一次显示，请立即打印；系统不保存姓名与票码的对应关系" in page
    assert page.count('class="slip"') == 2 and page.count("<svg") == 2
    assert "&lt;b&gt;李四&lt;/b&gt;" in page and "<b>李四</b>" not in page
    assert f'data-link="{LINK}a"' in page and f"{LINK}b</div>" in page


def test_the_slip_links_use_the_host_the_browser_asked_for():
    plain = Request(EnvironBuilder(path="/x", base_url="http://county.example:8080").get_environ())
    assert slips.site(plain) == "http://county.example:8080"
    proxied = Request(EnvironBuilder(path="/x", base_url="http://10.0.0.2", environ_base={
        "REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-Proto": "https",
                                              "X-Forwarded-Host": "dudao.example"}).get_environ())
    assert slips.site(proxied, ("10.0.0.1",)) == "https://dudao.example"
    assert slips.site(proxied) == "http://10.0.0.2"  # an untrusted proxy is not believed
