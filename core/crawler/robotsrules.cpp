#include "robotsrules.h"

#include <QRegularExpression>

namespace cd::crawler {

RobotsRules RobotsRules::disallowAll()
{
    RobotsRules r;
    r.m_rules.append({QStringLiteral("/"), false});
    return r;
}

RobotsRules RobotsRules::parse(const QByteArray &text, const QString &userAgent)
{
    // Collect the groups: consecutive User-agent lines share the rules that follow them.
    struct Group
    {
        QStringList agents;
        QList<Rule> rules;
        int delayMs = 0;
    };
    QList<Group> groups;
    bool lastWasAgent = false;
    for (QByteArray raw : text.split('\n')) {
        const qsizetype hash = raw.indexOf('#');
        if (hash >= 0)
            raw.truncate(hash);
        const QString line = QString::fromUtf8(raw).trimmed();
        const qsizetype colon = line.indexOf(u':');
        if (colon <= 0)
            continue;
        const QString key = line.left(colon).trimmed().toLower();
        const QString value = line.mid(colon + 1).trimmed();
        if (key == u"user-agent") {
            if (!lastWasAgent || groups.isEmpty())
                groups.append(Group{});
            groups.last().agents << value.toLower();
            lastWasAgent = true;
            continue;
        }
        lastWasAgent = false;
        if (groups.isEmpty())
            continue;
        if (key == u"disallow" && !value.isEmpty())
            groups.last().rules.append({value, false});
        else if (key == u"allow" && !value.isEmpty())
            groups.last().rules.append({value, true});
        else if (key == u"crawl-delay")
            groups.last().delayMs = static_cast<int>(value.toDouble() * 1000);
    }
    // Our product token is the part of the user agent before any '/' or space.
    const QString token = userAgent.section(u'/', 0, 0).section(u' ', 0, 0).toLower();
    const Group *chosen = nullptr;
    for (const Group &g : groups)
        for (const QString &a : g.agents)
            if (!token.isEmpty() && a != u"*" && token.contains(a))
                chosen = &g;
    if (!chosen)
        for (const Group &g : groups)
            if (g.agents.contains(QStringLiteral("*")))
                chosen = &g;
    RobotsRules r;
    if (chosen) {
        r.m_rules = chosen->rules;
        r.m_crawlDelayMs = chosen->delayMs;
    }
    return r;
}

bool RobotsRules::matches(const QString &pattern, const QString &path)
{
    if (!pattern.contains(u'*') && !pattern.endsWith(u'$'))
        return path.startsWith(pattern);
    QString re = QRegularExpression::escape(pattern);
    re.replace(QStringLiteral("\\*"), QStringLiteral(".*"));
    if (re.endsWith(QStringLiteral("\\$")))
        re = re.chopped(2) + u'$';
    return QRegularExpression(u'^' + re).match(path).hasMatch();
}

bool RobotsRules::allowed(const QString &pathAndQuery) const
{
    // Longest match wins; on a tie Allow wins (as Google's parser and RFC 9309 do).
    int best = -1;
    bool allow = true;
    for (const Rule &r : m_rules) {
        if (!matches(r.pattern, pathAndQuery))
            continue;
        const int len = static_cast<int>(r.pattern.size());
        if (len > best || (len == best && r.allow)) {
            best = len;
            allow = r.allow;
        }
    }
    return allow;
}

} // namespace cd::crawler
