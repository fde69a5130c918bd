#pragma once

#include "model/logline.h"

#include <QString>
#include <QStringList>
#include <QVariantList>

namespace cd::store {

// A LIKE pattern that finds `text` anywhere, with LIKE's own wildcards taken literally
// (use with ESCAPE '\\').
inline QString likePattern(const QString &text)
{
    QString p = text;
    p.replace(u'\\', QStringLiteral("\\\\")).replace(u'%', QStringLiteral("\\%")).replace(u'_', QStringLiteral("\\_"));
    return u'%' + p + u'%';
}

// " AND level IN (?, ...)" with the values appended; empty for no levels.
inline QString levelClause(const QList<model::LogLevel> &levels, QVariantList *values)
{
    if (levels.isEmpty())
        return {};
    QStringList marks;
    for (auto l : levels) {
        marks << QStringLiteral("?");
        *values << model::toString(l);
    }
    return QStringLiteral(" AND level IN (") + marks.join(u',') + u')';
}

} // namespace cd::store
