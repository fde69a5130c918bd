#pragma once

#include "common/result.h"
#include "model/job.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrlQuery>

#include <optional>

namespace cd::model {

// The one job filter shared by `GET /api/jobs` and the GUI's job table.
struct JobFilter
{
    static constexpr int kMaxLimit = 1000;
    // The query parameters fromQuery reads.
    static const QStringList &queryKeys();

    QList<JobStatus> statuses; // empty = any
    std::optional<Backend> backend;
    QString text;     // matches id prefix, kind, params, error (case-insensitive)
    int limit = 100;  // 1..1000
    QString beforeId; // page: jobs created before this one

    bool matches(const Job &job) const;
    // Parses `status=a,b&backend=x&q=..&limit=..&before=..`; unknown values are errors, not ignored.
    static Result<JobFilter> fromQuery(const QUrlQuery &query);
};

} // namespace cd::model
