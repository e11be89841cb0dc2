"""What the local operations page (`/ops`) says, in zh-CN (the default) and en. Metric titles are keyed by
the catalogue's metric names; a test keeps both languages complete for every metric and area."""

from __future__ import annotations

DEFAULT_LANGUAGE = "zh-CN"

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "page.title": "kefu 运维看板（本地）",
        "page.intro": "与 CloudWatch 看板 kefu-<stage> 同一份定义：每个业务区一行，每个指标一张图，按维度分线，"
                      "每 {period} 分钟求和。数据来自本地运行写下的 EMF 指标行。",
        "page.aws_only": "函数（错误、限流、时长、冷启动）、API 网关与失败事件队列的图只在 AWS 上有。",
        "page.key": "运维密钥",
        "page.open": "打开",
        "page.refresh": "每 10 秒刷新",
        "page.empty": "最近 {hours} 小时没有数据",
        "page.no_metrics": "目录中还没有指标",
        "page.denied": "运维密钥不对",
        "page.updated": "更新于",
        "page.language": "English",
        "area.chat": "在线客服", "area.mail": "邮件", "area.licensing": "授权",
        "area.billing": "计费", "area.operations": "运维",
        "metric.LicenseValidations": "密钥校验（按结果代码）",
        "metric.LicenseChanges": "协议、授权与密钥变更（按操作）",
        "metric.HealthChecks": "依赖健康检查（按组件与结果）",
        "metric.MailReceived": "收到的邮件（按结果：送达、重复、隔离、扣留）",
        "metric.MailHeld": "未交给客服的邮件（按原因）",
        "metric.MailSent": "回复与自动确认（按类型与结果）",
        "metric.MailDeliveryEvents": "SES 退信与投诉通知（按类型、是否匹配）",
        "metric.Backups": "数据表备份（按结果：创建、失败、过期删除）",
        "metric.InvoicesIssued": "开出的发票（按类型）",
        "metric.PaymentsRecorded": "登记的付款（按方式）",
        "metric.NoticesSent": "发给被许可方的通知（第 13.1 条，按类型与送达结果）",
        "metric.BillingRunFailures": "计费、逾期、续约任务未能处理的账户（按任务）",
        "metric.ChatConversations": "开始的会话（按结果）",
        "metric.ChatMessages": "收到的聊天消息（按作者）",
        "metric.ChatRefusals": "被限制拒绝的聊天请求（按代码）",
        "metric.ApiErrors": "返回 500 的 API 请求（按路由与错误代码）",
    },
    "en": {
        "page.title": "kefu operations dashboard (local)",
        "page.intro": "The same definition as the CloudWatch dashboard kefu-<stage>: a row per area, a graph per "
                      "metric, a line per dimension value, summed every {period} minutes. The data are the EMF "
                      "metric lines this local run wrote.",
        "page.aws_only": "The graphs of functions (errors, throttles, duration, cold starts), of API Gateway and of "
                         "the failed-events queue exist on AWS only.",
        "page.key": "Operations key",
        "page.open": "Open",
        "page.refresh": "Refreshes every 10 seconds",
        "page.empty": "No data in the last {hours} hours",
        "page.no_metrics": "No metrics in the catalogue yet",
        "page.denied": "That operations key is not right",
        "page.updated": "Updated",
        "page.language": "中文",
        "area.chat": "Chat", "area.mail": "Email", "area.licensing": "Licensing",
        "area.billing": "Billing", "area.operations": "Operations",
        "metric.LicenseValidations": "Key validations, by outcome code",
        "metric.LicenseChanges": "Agreement, license and key changes, by action",
        "metric.HealthChecks": "Health checks of dependencies, by component and result",
        "metric.MailReceived": "Inbound mails, by outcome: delivered, duplicate, quarantined, held",
        "metric.MailHeld": "Inbound mails kept back from agents, by reason",
        "metric.MailSent": "Replies and acknowledgements, by kind and result",
        "metric.MailDeliveryEvents": "SES bounce and complaint notifications, by kind and match",
        "metric.Backups": "Table backups by result: created, failed, expired",
        "metric.InvoicesIssued": "Invoices issued, by kind",
        "metric.PaymentsRecorded": "Payments recorded, by method",
        "metric.NoticesSent": "Notices to licensees (clause 13.1), by kind and delivery",
        "metric.BillingRunFailures": "Accounts a billing, overdue or renewal run could not process, by job",
        "metric.ChatConversations": "Conversations started, by outcome",
        "metric.ChatMessages": "Chat messages accepted, by author",
        "metric.ChatRefusals": "Chat requests refused by a limit, by code",
        "metric.ApiErrors": "API requests answered 500, by route and error code",
    },
}


def language(requested: str | None) -> str:
    """The page's language: the one asked for if the catalogue has it, else zh-CN."""
    return requested if requested in MESSAGES else DEFAULT_LANGUAGE


def text(lang: str, key: str) -> str:
    return MESSAGES[language(lang)].get(key) or MESSAGES["en"].get(key) or key
