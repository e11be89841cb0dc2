"""A deterministic corpus of mixed inbound mail, as merchants on the platform receive it: Simplified and
Traditional Chinese and English customers writing from QQ Mail, 163, Foxmail, Outlook, Gmail, Yahoo and Apple Mail
(each with its own charsets, transfer encodings, HTML and quoting style), from 300 bytes to 150 KB, with
attachments (Chinese file names in RFC 2231), replies threading on earlier mails with their quoted history,
auto-replies and delivery failure reports. The same seed gives the same bytes."""

from __future__ import annotations

import base64
import quopri
import random
from dataclasses import dataclass

SUBJECTS = {
    "zh-CN": ["订单还没有发货", "物流一直没有更新", "申请退款", "发票怎么开", "商品有质量问题", "想换个颜色",
              "优惠券用不了", "地址填错了"],
    "zh-TW": ["訂單還沒有出貨", "物流一直沒有更新", "申請退款", "發票怎麼開", "商品有品質問題", "想換個顏色",
              "優惠券用不了", "地址填錯了"],
    "en": ["Where is my order?", "Tracking has not moved", "Refund request", "Invoice please",
           "Item arrived damaged", "Can I change the colour?", "Coupon does not work", "Wrong address"],
}
LINES = {
    "zh-CN": ["您好，我在贵店买的茶叶到现在还没有收到，订单号 {order}，麻烦帮忙查一下。",
              "快递显示三天没有更新了，能不能帮我催一下？我的手机是 138 0013 {phone}。",
              "收到的包装破了，里面的杯子碎了一个，附上照片，请尽快处理。",
              "请问可以开增值税专用发票吗？公司抬头和税号我发在附件里了。"],
    "zh-TW": ["您好，我在貴店買的茶葉到現在還沒有收到，訂單編號 {order}，麻煩幫忙查一下。",
              "快遞顯示三天沒有更新了，能不能幫我催一下？謝謝。",
              "收到的包裝破了，裡面的杯子碎了一個，附上照片，請盡快處理。",
              "請問可以開立統一發票嗎？公司抬頭和統編我放在附件裡了。"],
    "en": ["Hello, the tea I ordered has still not arrived, order no. {order}. Could you check?",
           "The tracking has not changed for three days; could you chase the courier? My phone is 138 0013 {phone}.",
           "The parcel arrived torn and one cup is broken, photos attached. Please sort this out soon.",
           "Can you issue a VAT invoice? Our company name and tax number are in the attachment."],
}
SHORT = {"zh-CN": "好的，谢谢", "zh-TW": "好的，謝謝", "en": "OK, thanks"}
SIGNATURES = {"zh-CN": "\n\n发自我的iPhone", "zh-TW": "\n\n從我的 iPhone 傳送", "en": "\n\nSent from my iPhone"}
FILE_NAMES = {"zh-CN": ["破损照片.jpg", "发票信息.pdf", "订单截图.png"],
              "zh-TW": ["破損照片.jpg", "發票資訊.pdf", "訂單截圖.png"],
              "en": ["damage photo.jpg", "invoice details.pdf", "order screenshot.png"]}
MAX_BYTES = 150 * 1024
CONTENT_TYPES = {"jpg": "image/jpeg", "pdf": "application/pdf", "png": "image/png"}


@dataclass(frozen=True)
class Client:
    name: str
    domain: str
    mailer: str
    languages: tuple[str, ...]
    charsets: dict[str, str]  # language -> body charset
    encoding: str  # base64 | quoted-printable | 8bit
    html: bool


CLIENTS = [
    Client("QQ Mail", "qq.com", "QQMail 2.x", ("zh-CN",), {"zh-CN": "gb18030"}, "base64", True),
    Client("163", "163.com", "Coremail Webmail Server Version XT5.0.14", ("zh-CN",), {"zh-CN": "gbk"},
           "base64", True),
    Client("Foxmail", "foxmail.com", "Foxmail 7.2.25.228[cn]", ("zh-CN", "zh-TW"),
           {"zh-CN": "gb2312", "zh-TW": "big5"}, "base64", True),
    Client("Outlook", "outlook.com", "Microsoft Outlook 16.0", ("en", "zh-TW", "zh-CN"),
           {"en": "utf-8", "zh-TW": "big5", "zh-CN": "gb2312"}, "quoted-printable", True),
    Client("Gmail", "gmail.com", "", ("en", "zh-TW", "zh-CN"), {"en": "utf-8", "zh-TW": "utf-8", "zh-CN": "utf-8"},
           "quoted-printable", True),
    Client("Yahoo", "yahoo.com.tw", "Yahoo Mail for iPhone", ("zh-TW", "en"), {"zh-TW": "utf-8", "en": "utf-8"},
           "quoted-printable", True),
    Client("Apple Mail", "icloud.com", "Apple Mail (2.3774.600.62)", ("zh-CN", "zh-TW", "en"),
           {"zh-CN": "utf-8", "zh-TW": "utf-8", "en": "utf-8"}, "8bit", False),
]


def _attribution(client: Client, language: str, support: str) -> str:
    """How each client introduces the quoted mail (some over two lines)."""
    if client.name in ("QQ Mail", "Foxmail"):
        head = "------------------ 原始邮件 ------------------" if language == "zh-CN" else \
            "------------------ 原始郵件 ------------------"
        return f"{head}\n发件人: \"客服\" <{support}>;\n发送时间: 2026年6月14日(星期天) 上午10:00\n主题: 回复"
    if client.name == "Outlook":
        if language == "zh-TW":
            return f"寄件者: 客服 <{support}>\n寄件日期: 2026年6月14日 上午 10:00\n主旨: 回覆"
        return f"From: Customer Service <{support}>\nSent: Sunday, June 14, 2026 10:00 AM\nSubject: RE: order"
    if language == "zh-TW":
        return f"於 2026年6月14日 週日 上午10:00，客服 <{support}>\n寫道："
    if language == "zh-CN":
        return f"在 2026年6月14日 10:00，客服 <{support}> 写道："
    return f"On Sun, 14 Jun 2026 at 10:00, Customer Service <\n{support}> wrote:"


def _encode(text: str, charset: str, encoding: str) -> tuple[bytes, str]:
    data = text.encode(charset, "replace")
    if encoding == "base64":
        return base64.encodebytes(data), "base64"
    if encoding == "quoted-printable":
        return quopri.encodestring(data), "quoted-printable"
    return data, "8bit"


def _html(text: str) -> str:
    paragraphs = "".join(f"<div>{line or '<br>'}</div>" for line in text.split("\n"))
    return ('<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">'
            f"{paragraphs}</body></html>")


def _rfc2231(name: str) -> str:
    from urllib.parse import quote

    return f"filename*=utf-8''{quote(name)}"


def _b64_header(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def corpus(address: str, count: int = 1000, seed: int = 17) -> list[bytes]:
    """`count` mails to `address`. About 55 % open tickets, 30 % reply to earlier mails (with their quoted
    history, some long), 16 % carry attachments, 6 % are auto-replies and 4 % delivery failure reports."""
    rng = random.Random(seed)
    sent: list[tuple[str, str, str, str]] = []  # (sender, message id, subject, the sender's name)
    mails: list[bytes] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.04:
            mails.append(_bounce(n, address, rng))
            continue
        client = rng.choice(CLIENTS)
        language = rng.choice(client.languages)
        charset = client.charsets[language]
        threading, quoted = "", ""
        if sent and roll < 0.34:
            # a reply comes under the name its sender wrote with (their mail client's), as people's replies do
            sender, parent, subject, name = rng.choice(sent)
            threading = f"In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"
            subject = ("回复：" if language == "zh-CN" else "回覆：" if language == "zh-TW" else "Re: ") + subject
            history_lines = rng.choice([3, 10, 40, 160, 420]) if rng.random() < 0.5 else rng.randint(2, 30)
            history = "\n".join(f"> {rng.choice(LINES[language]).format(order=8800 + i, phone=8000 + i)}"
                                for i in range(history_lines))
            quoted = f"\n\n{_attribution(client, language, address)}\n{history}"
        else:
            sender, name = f"c{n}.{rng.randint(100, 999)}@{client.domain}", "顾客" + str(n)
            subject = rng.choice(SUBJECTS[language])
        automatic = 0.34 <= roll < 0.40
        if automatic:
            subject = ("自动回复: " if language.startswith("zh") else "Automatic reply: ") + subject
        message_id = f"{n:05d}.{rng.randint(10**8, 10**9)}@{client.domain}"
        sent.append((sender, message_id, subject.split(": ")[-1].split("：")[-1], name))
        short = rng.random() < 0.08  # "好的，谢谢": a one-line answer
        words = [SHORT[language]] if short else [
            rng.choice(LINES[language]).format(order=f"{rng.randint(10**7, 10**8)}", phone=f"{rng.randint(1000, 9999)}")
            for _ in range(rng.choice([1, 1, 1, 2, 3, 6]))]
        text = "\n".join(words) + (SIGNATURES[language] if client.name in ("Apple Mail", "Yahoo") else "") + quoted
        head = (f"From: {_b64_header(name)} <{sender}>\r\nTo: {address}\r\n"
                f"Subject: {_b64_header(subject)}\r\n"
                f"Date: Mon, 15 Jun 2026 {8 + n % 12:02d}:{n % 60:02d}:00 +0800\r\nMessage-ID: <{message_id}>\r\n"
                f"{threading}MIME-Version: 1.0\r\n")
        if client.mailer:
            head += f"X-Mailer: {client.mailer}\r\n"
        if automatic:
            head += "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n"
        attachments = []
        if rng.random() < 0.16:
            for _ in range(rng.choice([1, 1, 2])):
                name = rng.choice(FILE_NAMES[language])
                attachments.append((name, rng.randbytes(rng.randint(2_000, 60_000))))
        if short and not attachments:
            client = CLIENTS[-1]  # Apple Mail: plain text only
        raw = _assemble(n, head, text, client, charset, attachments)
        while len(raw) > MAX_BYTES:  # the corpus stays within 150 KB a mail: the long history is cut
            if len(text) > 400:
                text = text[:len(text) * 3 // 4]
            else:
                attachments.pop()
            raw = _assemble(n, head, text, client, charset, attachments)
        mails.append(raw)
    return mails


def _assemble(n: int, head: str, text: str, client: Client, charset: str,
              attachments: list[tuple[str, bytes]]) -> bytes:
    body, cte = _encode(text, charset, client.encoding)
    plain = f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n".encode() + body
    if client.html:
        html, html_cte = _encode(_html(text), charset, client.encoding)
        alt = f"alt{n:05d}"
        part = (f"Content-Type: multipart/alternative; boundary=\"{alt}\"\r\n\r\n--{alt}\r\n".encode() + plain
                + f"\r\n--{alt}\r\nContent-Type: text/html; charset={charset}\r\n"
                  f"Content-Transfer-Encoding: {html_cte}\r\n\r\n".encode() + html + f"\r\n--{alt}--\r\n".encode())
    else:
        part = plain
    if not attachments:
        return head.encode() + part
    mixed = f"mix{n:05d}"
    out = head.encode() + f"Content-Type: multipart/mixed; boundary=\"{mixed}\"\r\n\r\n--{mixed}\r\n".encode() + part
    for name, data in attachments:
        kind = CONTENT_TYPES[name.rsplit(".", 1)[1]]
        out += (f"\r\n--{mixed}\r\nContent-Type: {kind}\r\nContent-Disposition: attachment; {_rfc2231(name)}\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(data)
    return out + f"\r\n--{mixed}--\r\n".encode()


def _bounce(n: int, address: str, rng: random.Random) -> bytes:
    """A delivery status notification, as Postfix, Exchange or QQ's MTA send them: null sender, a report."""
    mta = rng.choice(["mx.qq.com", "mx3.163.com", "outlook.com", "mta7.am0.yahoodns.net"])
    boundary = f"dsn{n:05d}"
    return (f"From: Mail Delivery System <MAILER-DAEMON@{mta}>\r\nReturn-Path: <>\r\nTo: {address}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
            f"Message-ID: <dsn.{n:05d}@{mta}>\r\nDate: Mon, 15 Jun 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"This is the mail system at host {mta}. Your message could not be delivered.\r\n\r\n"
            f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {mta}\r\n\r\n"
            f"Final-Recipient: rfc822; nobody{n}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            f"--{boundary}--\r\n").encode()
