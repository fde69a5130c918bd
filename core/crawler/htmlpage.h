#pragma once

#include <QByteArray>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace cd::crawler {

// What the crawler needs from one HTML document.
struct HtmlPage
{
    QString title;
    QString text;      // visible text, tags and scripts removed, whitespace folded
    QList<QUrl> links; // absolute http(s) links, fragments removed
    QString charset;   // the charset the body was decoded with

    // `contentType` is the HTTP header (its charset wins); else <meta charset> or http-equiv in
    // the first bytes; else UTF-8.
    static HtmlPage parse(const QByteArray &body, const QString &contentType, const QUrl &base);
    static QString decode(const QByteArray &body, const QString &contentType, QString *charsetUsed);
};

// Case-insensitive whole-word matching of the job's keywords ("heat pump" matches "Heat  pumps"? no:
// words are whole, spaces stand for any whitespace).
class KeywordMatcher
{
public:
    explicit KeywordMatcher(const QStringList &keywords);
    QStringList matches(const QString &text) const;

private:
    QStringList m_keywords;
    QList<QRegularExpression> m_patterns;
};

// The crawler's notion of "the same page": lower-case scheme and host, no default port, no
// fragment, dot segments resolved, "/" for an empty path.
QUrl normalizeUrl(const QUrl &url);
// The domain a page counts for: its host without a leading "www.".
QString domainOf(const QUrl &url);

} // namespace cd::crawler
