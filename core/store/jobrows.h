#pragma once

#include "jobfilter.h"
#include "model/job.h"

#include <QString>
#include <QStringList>
#include <QVariant>

class QSqlQuery;

// How a jobs row is read and written; shared by the two files of JobStore (jobstore.cpp,
// jobclaims.cpp).
namespace cd::store::rows {

extern const QString kJobColumns;
QString nowIso();
// An invalid QVariant binds as SQL NULL; a typed empty one would bind ''.
QVariant nullable(const QString &s);
// Reads the kJobColumns of the current row.
model::Job jobFromQuery(const QSqlQuery &q);
// Appends "col = ?" pairs for every field the patch sets.
void addPatch(const JobPatch &p, QStringList &sets, QVariantList &values);

} // namespace cd::store::rows
