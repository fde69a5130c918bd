#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace cd::crawler {

// robots.txt for one host, as seen by one user agent: the group that names our agent (else `*`),
// Allow/Disallow by longest matching path prefix (with `*` and `$` patterns), and Crawl-delay.
class RobotsRules
{
public:
    static RobotsRules parse(const QByteArray &text, const QString &userAgent);
    static RobotsRules allowAll() { return {}; }
    static RobotsRules disallowAll();

    bool allowed(const QString &pathAndQuery) const;
    int crawlDelayMs() const { return m_crawlDelayMs; }

private:
    struct Rule
    {
        QString pattern;
        bool allow;
    };
    static bool matches(const QString &pattern, const QString &path);

    QList<Rule> m_rules;
    int m_crawlDelayMs = 0;
};

} // namespace cd::crawler
