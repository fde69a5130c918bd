#include "htmlpage.h"

#include <QRegularExpression>
#include <QStringDecoder>

namespace cd::crawler {

namespace {

QString charsetFromContentType(const QString &contentType)
{
    static const QRegularExpression re(QStringLiteral(R"re(charset\s*=\s*["']?([A-Za-z0-9_\-:.]+))re"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(contentType).captured(1);
}

QString charsetFromMeta(const QByteArray &head)
{
    // <meta charset="x"> or <meta http-equiv="Content-Type" content="text/html; charset=x">; the
    // document's first KiB is ASCII-compatible for every charset we decode.
    static const QRegularExpression re(QStringLiteral(R"re(<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+))re"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(QString::fromLatin1(head)).captured(1);
}

QString decodeHtmlEntities(QString s)
{
    static const QList<QPair<QString, QString>> named{
        {QStringLiteral("&amp;"), QStringLiteral("&")},  {QStringLiteral("&lt;"), QStringLiteral("<")},
        {QStringLiteral("&gt;"), QStringLiteral(">")},   {QStringLiteral("&quot;"), QStringLiteral("\"")},
        {QStringLiteral("&#39;"), QStringLiteral("'")},  {QStringLiteral("&apos;"), QStringLiteral("'")},
        {QStringLiteral("&nbsp;"), QStringLiteral(" ")},
    };
    static const QRegularExpression numeric(QStringLiteral(R"re(&#(x?)([0-9a-fA-F]+);)re"));
    QString out;
    qsizetype last = 0;
    auto it = numeric.globalMatch(s);
    while (it.hasNext()) {
        const auto m = it.next();
        out += QStringView(s).mid(last, m.capturedStart() - last);
        bool ok = false;
        const uint cp = m.captured(2).toUInt(&ok, m.captured(1).isEmpty() ? 10 : 16);
        if (ok && cp > 0 && cp < 0x110000) {
            const char32_t c = cp;
            out += QString::fromUcs4(&c, 1);
        }
        last = m.capturedEnd();
    }
    out += QStringView(s).mid(last);
    for (const auto &[from, to] : named)
        out.replace(from, to, Qt::CaseInsensitive);
    return out;
}

} // namespace

QString HtmlPage::decode(const QByteArray &body, const QString &contentType, QString *charsetUsed)
{
    QString charset = charsetFromContentType(contentType);
    if (charset.isEmpty())
        charset = charsetFromMeta(body.left(2048));
    if (charset.isEmpty())
        charset = QStringLiteral("utf-8");
    // Browsers read latin-1 and us-ascii as windows-1252; Qt knows Latin-1 natively.
    if (charset.compare(u"iso-8859-1", Qt::CaseInsensitive) == 0 ||
        charset.compare(u"us-ascii", Qt::CaseInsensitive) == 0)
        charset = QStringLiteral("latin1");
    QStringDecoder decoder(charset.toLatin1().constData());
    if (!decoder.isValid()) {
        decoder = QStringDecoder(QStringDecoder::Utf8);
        charset = QStringLiteral("utf-8 (unknown charset ") + charset + u')';
    }
    if (charsetUsed)
        *charsetUsed = charset;
    return decoder.decode(body);
}

HtmlPage HtmlPage::parse(const QByteArray &body, const QString &contentType, const QUrl &base)
{
    HtmlPage page;
    const QString html = decode(body, contentType, &page.charset);

    static const QRegularExpression titleRe(QStringLiteral(R"re(<title[^>]*>(.*?)</title>)re"),
                                            QRegularExpression::CaseInsensitiveOption |
                                                QRegularExpression::DotMatchesEverythingOption);
    page.title = decodeHtmlEntities(titleRe.match(html).captured(1)).simplified();

    static const QRegularExpression baseRe(QStringLiteral(R"re(<base[^>]+href\s*=\s*["']([^"']+)["'])re"),
                                           QRegularExpression::CaseInsensitiveOption);
    QUrl resolveFrom = base;
    if (const auto m = baseRe.match(html); m.hasMatch())
        resolveFrom = base.resolved(QUrl(decodeHtmlEntities(m.captured(1))));
    static const QRegularExpression linkRe(
        QStringLiteral(R"re(<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))re"),
        QRegularExpression::CaseInsensitiveOption);
    auto links = linkRe.globalMatch(html);
    while (links.hasNext()) {
        const auto m = links.next();
        const QString href = decodeHtmlEntities(m.captured(1) + m.captured(2) + m.captured(3)).trimmed();
        if (href.isEmpty() || href.startsWith(u'#'))
            continue;
        QUrl u = resolveFrom.resolved(QUrl(href));
        if (u.scheme() != u"http" && u.scheme() != u"https")
            continue;
        u.setFragment(QString());
        page.links.append(u);
    }

    static const QRegularExpression invisible(
        QStringLiteral(R"re(<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->)re"),
        QRegularExpression::CaseInsensitiveOption | QRegularExpression::DotMatchesEverythingOption);
    static const QRegularExpression tags(QStringLiteral(R"re(<[^>]*>)re"));
    QString text = html;
    text.remove(invisible);
    text.replace(tags, QStringLiteral(" "));
    page.text = decodeHtmlEntities(text).simplified();
    return page;
}

KeywordMatcher::KeywordMatcher(const QStringList &keywords)
{
    for (const QString &k : keywords) {
        const QString kw = k.simplified();
        if (kw.isEmpty())
            continue;
        QString pattern = QRegularExpression::escape(kw);
        pattern.replace(QStringLiteral("\\ "), QStringLiteral("\\s+"));
        m_keywords << kw;
        m_patterns << QRegularExpression(QStringLiteral("(?<![\\w])") + pattern + QStringLiteral("(?![\\w])"),
                                         QRegularExpression::CaseInsensitiveOption |
                                             QRegularExpression::UseUnicodePropertiesOption);
    }
}

QStringList KeywordMatcher::matches(const QString &text) const
{
    QStringList out;
    for (qsizetype i = 0; i < m_patterns.size(); ++i)
        if (m_patterns.at(i).match(text).hasMatch())
            out << m_keywords.at(i);
    return out;
}

namespace {
// RFC 3986 section 5.2.4 (QUrl::NormalizePathSegments keeps empty segments around a removed "..").
QString removeDotSegments(const QString &path)
{
    QStringList out;
    const QStringList parts = path.split(u'/');
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QString &p = parts.at(i);
        const bool last = i == parts.size() - 1;
        if (p == u".") {
            if (last)
                out << QString();
        } else if (p == u"..") {
            if (out.size() > 1)
                out.removeLast();
            if (last)
                out << QString();
        } else {
            out << p;
        }
    }
    QString joined = out.join(u'/');
    if (path.startsWith(u'/') && !joined.startsWith(u'/'))
        joined.prepend(u'/');
    return joined;
}
} // namespace

QUrl normalizeUrl(const QUrl &in)
{
    QUrl u = in.adjusted(QUrl::RemoveFragment);
    u.setPath(removeDotSegments(u.path(QUrl::FullyEncoded)), QUrl::TolerantMode);
    u.setScheme(u.scheme().toLower());
    u.setHost(u.host().toLower());
    if ((u.scheme() == u"http" && u.port() == 80) || (u.scheme() == u"https" && u.port() == 443))
        u.setPort(-1);
    if (u.path().isEmpty())
        u.setPath(QStringLiteral("/"));
    return u;
}

QString domainOf(const QUrl &url)
{
    QString host = url.host().toLower();
    if (host.startsWith(QStringLiteral("www.")))
        host.remove(0, 4);
    return host;
}

} // namespace cd::crawler
