"""What a person newly wrote in a reply: quoted history, forwarded headers and signatures removed.

Written here rather than taken from a library: measured on our corpus of real client formats (`make bench`,
bench/quotes.py), the maintained one (mail-parser-reply) misses the QQ Mail, 163/126, Foxmail and Traditional
Chinese (寫道, 寄件者) quote headers that most of our merchants' customers send. Only what a person wrote is cut
away here; the whole text stays stored beside it (the message's body), so agents can still open the history.
"""

from __future__ import annotations

import re

# Dashed separator lines that clients put above the quoted message.
# fmt: off
_SEPARATOR_PHRASES = (
    "original message", "original", "replied message", "forwarded message",
    "原始邮件", "原邮件", "回复的原邮件", "转发的邮件", "转发邮件",
    "原始郵件", "原始信件", "轉寄郵件", "轉發郵件", "轉寄的郵件",
    "元のメッセージ", "転送メッセージ", "원본 메시지", "전달된 메시지",
    "message d'origine", "message d’origine", "message transféré", "ursprüngliche nachricht", "originalnachricht",
    "weitergeleitete nachricht", "mensaje original", "mensaje reenviado",
)
# fmt: on
_SEPARATOR = re.compile(
    r"^[-=_~*\s]*(?:" + "|".join(re.escape(phrase) for phrase in _SEPARATOR_PHRASES) + r")[-=_~*\s]*$"
)
_UNDERSCORE_LINE = re.compile(r"^_{10,}$")
_RULE_LINE = re.compile(r"^[-_=—─━–]{10,}$")  # a bare rule: the quote only when a header block follows
_FORWARD_INTRO = ("begin forwarded message:", "以下是转发的邮件：", "début du message réexpédié :",
                  "転送されたメッセージ:")

# Header blocks (Outlook, Foxmail, QQ Mail, Alimail): a "From" line followed closely by others.
_FROM_KEYS = {"from", "发件人", "寄件者", "寄件人", "從", "差出人", "보낸 사람", "보낸사람", "von", "de", "van", "da"}
# fmt: off
_OTHER_KEYS = {
    "sent", "date", "to", "subject", "cc",
    "发送时间", "时间", "日期", "收件人", "主题", "主 题", "抄送",
    "寄件日期", "傳送時間", "傳送日期", "發送時間", "收件者", "主旨", "主題", "副本", "至",
    "送信日時", "日付", "宛先", "件名", "보낸 날짜", "받는 사람", "제목", "참조", "날짜",
    "gesendet", "datum", "an", "betreff", "envoyé", "à", "objet", "enviado", "fecha", "para", "asunto",
}
# fmt: on
_HEADER_KEY = re.compile(r"^([^:：]{1,12}?)\s*[:：]")

# Lines that end what a person wrote on a phone or in a mail app (after any trailing link is removed).
_SENT_FROM = re.compile(
    r"^(?:"
    r"sent from my .{1,40}"
    r"|sent from (?:mail|outlook|yahoo mail) for .{1,30}"
    r"|sent from (?:yahoo mail|outlook|mail\.ru) on .{1,30}"
    r"|sent from .{1,30}(?:iphone|ipad|android|mobile|phone)"
    r"|get outlook for (?:ios|android)"
    r"|发自我的.{1,24}|发自.{0,16}(?:邮箱大师|邮箱|手机|客户端|iphone|ipad|android)"
    r"|从我的.{1,24}发送|来自.{0,16}(?:邮箱大师|客户端|iphone|android)|获取 ?outlook for (?:ios|android)"
    r"|從我的.{1,24}(?:傳送|發送)|(?:取得|獲取|下載) ?(?:ios|android) ?版 ?outlook"
    r"|(?:取得|獲取) ?outlook for (?:ios|android)|傳送自.{1,30}"
    r"|iphoneから送信|.{1,20}から送信|outlook for (?:ios|android) を入手"
    r"|내 .{1,24}에서 보냄|(?:ios|android)용 outlook 받기"
    r"|von meinem .{1,30} gesendet|outlook für (?:ios|android) beziehen"
    r"|envoyé de mon .{1,30}|obtenir outlook pour (?:ios|android)"
    r"|enviado desde mi .{1,30}|obtener outlook para (?:ios|android)"
    r")$"
)
# 网易邮箱大师 writes its business card above this line; the card goes with it.
_NETEASE_CARD = ("签名由网易邮箱大师定制", "签名由 网易邮箱大师 定制")

# "On ... wrote:" in the languages we see: how the attribution line may start and how it ends.
_WROTE_STARTS = ("on ", "am ", "le ", "el ", "il ", "op ", "den ", "在", "于", "於")
# fmt: off
_WROTE_ENDINGS = (
    "wrote:", "schrieb:", "a écrit :", "a écrit:", "a écrit :", "escribió:", "ha scritto:", "schreef:", "skrev:",
    "写道：", "写道:", "寫道：", "寫道:", "님이 작성:", "작성:", "のメール:", "書きました:", "さんは書きました:",
)
# fmt: on
_TRAILING_LINK = re.compile(r"\s*<(?:https?|mailto):[^<>\s]*>$")
_GERMAN_WROTE = re.compile(r"^am .{4,300} schrieb .{1,200}:$")
# Gmail in Japanese names no verb: "2026年11月20日(金) 10:00 山田太郎 <taro@example.jp>:"
_JAPANESE_GMAIL = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日.{0,40}\d{1,2}:\d{2} .{0,200}<[^<>\s]+@[^<>\s]+>:$")
_MAX_HEADER_CHARS = 400


def strip_reply(text: str) -> str:
    """Only the newly written part of `text`: quoted history, forwarded headers and signatures go.

    Lines quoted with ">" are dropped wherever they are, so answers written between quoted lines
    survive; everything from the first quote header, separator, signature delimiter or
    "Sent from my ..." line on is dropped. May return "" when the mail holds nothing new.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    dropped: set[int] = set()
    end = len(lines)
    index = 0
    while index < end:
        line = lines[index]
        if _is_quoted(line):
            index += 1
            continue
        span = _wrote_header_span(lines, index)
        if span:
            if _next_text_is_quoted(lines, index + span):
                dropped.update(range(index, index + span))
                index += span
                continue
            end = index
            break
        if _ends_new_text(lines, index):
            end = _card_start(lines, index)
            break
        index += 1

    kept = [line.rstrip() for number, line in enumerate(lines[:end]) if number not in dropped]
    kept = [line for line in kept if not _is_quoted(line)]
    result = "\n".join(kept).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", result).strip()


def _normalise(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u3000", " ").replace("\u200b", "").strip()
    # Outlook's plain text keeps the bold of "*From:*" as asterisks.
    return line.replace("*", "").strip().lower()


def _is_quoted(line: str) -> bool:
    return line.lstrip(" \u00a0").startswith(">")


def _ends_new_text(lines: list[str], index: int) -> bool:
    raw = lines[index]
    if raw.rstrip() == "--":  # the "-- " signature delimiter; many clients drop its space
        return True
    line = _normalise(raw)
    if not line:
        return False
    if _UNDERSCORE_LINE.match(line) or line in _FORWARD_INTRO or line in _NETEASE_CARD:
        return True
    if _SEPARATOR.match(line) and sum(line.count(mark) for mark in "-=_~*") >= 4:
        return True
    if _RULE_LINE.match(line) and _header_block_follows(lines, index + 1):
        return True
    # Outlook mobile appends its link: "Get Outlook for Android<https://aka.ms/...>"
    if len(line) <= 200 and _SENT_FROM.match(_TRAILING_LINK.sub("", line)):
        return True
    return _is_header_block(lines, index)


def _card_start(lines: list[str], index: int) -> int:
    """Where a signature card drawn above `index` with "|" rules begins (网易邮箱大师); `index` if there is none."""
    if _normalise(lines[index]) not in _NETEASE_CARD:
        return index
    def rule(number: int) -> bool:  # a line of the card's frame: blank or only "|"
        return number >= 0 and not lines[number].strip(" |\u00a0")

    start = index
    while start > 0 and (rule(start - 1) or (start >= 2 and lines[start - 2].strip(" \u00a0") and rule(start - 2))):
        start -= 1
    return start


def _header_key(line: str) -> str | None:
    match = _HEADER_KEY.match(_normalise(line))
    return match.group(1).strip() if match else None


def _is_header_block(lines: list[str], index: int) -> bool:
    if _header_key(lines[index]) not in _FROM_KEYS:
        return False
    others = {_header_key(line) for line in lines[index + 1 : index + 7]}
    return len(others & _OTHER_KEYS) >= 2


def _header_block_follows(lines: list[str], index: int) -> bool:
    for number in range(index, min(index + 3, len(lines))):
        if lines[number].strip(" \u00a0"):
            return _is_header_block(lines, number)
    return False


def _wrote_header_span(lines: list[str], index: int) -> int:
    """How many lines (1 to 3) an "On ... wrote:" header starting at `index` spans; 0 if none.

    Clients wrap a long attribution: Gmail breaks inside "<address>" or before "escribió:", and moves the address
    to a line of its own after a long name. A line is joined with the next only where it starts like an
    attribution or the next one starts with the wrapped address, and never when the next line is an attribution
    on its own: then this line is the end of what the person wrote."""
    first = _normalise(lines[index])
    if not first or len(first) > _MAX_HEADER_CHARS:
        return 0
    if _is_wrote_header(first, lines, index + 1):
        return 1
    joined = first
    for span in (2, 3):
        following = index + span - 1
        if following >= len(lines) or _is_quoted(lines[following]):
            return 0
        part = _normalise(lines[following])
        if not part:
            return 0
        opens = first.startswith(_WROTE_STARTS)
        wraps_address = part.startswith(("<", "(", "[")) or joined.endswith(("<", "("))
        if not (opens or wraps_address):
            return 0
        if part.startswith(_WROTE_STARTS) and _is_wrote_header(part, lines, following + 1):
            return 0  # the next line is the attribution, whole: this one is the person's
        joined = f"{joined} {part}".strip()
        if len(joined) > _MAX_HEADER_CHARS:
            return 0
        if _is_wrote_header(joined.replace("< ", "<"), lines, index + span):
            return span
    return 0


def _is_wrote_header(line: str, lines: list[str], after: int) -> bool:
    if _JAPANESE_GMAIL.match(line):
        return True
    if _GERMAN_WROTE.match(line):
        return True
    if not line.endswith(_WROTE_ENDINGS):
        return False
    if line.startswith(_WROTE_STARTS) or _looks_dated(line):
        # "On Fri, Nov 20, 2026 at 10:00 AM Anna <a@b.com> wrote:",
        # "張三 <a@b.com> 於 2026年11月20日 週五 上午10:00寫道："
        return True
    # "Zhang San wrote:" on its own (older Thunderbird) only counts right above quoted lines.
    return _next_text_is_quoted(lines, after)


_TIME = re.compile(r"\d{1,2}[:：]\d{2}|\d{4}[-/年.]|年.{1,3}月")


def _looks_dated(line: str) -> bool:
    """Whether a line carries the time, full date or address an attribution names; a bare number is not enough
    ("In 2024 my friend wrote:" is a sentence)."""
    return "@" in line or bool(_TIME.search(line))


def _next_text_is_quoted(lines: list[str], index: int) -> bool:
    for line in lines[index : index + 3]:
        if line.strip():
            return _is_quoted(line)
    return False
