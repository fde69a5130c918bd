#pragma once

#include "model/jobfilter.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace cd::store {

// The store pages and filters jobs by the model's filter.
using model::JobFilter;

// Partial update of a job's non-status columns.
struct JobPatch
{
    std::optional<int> progress;
    std::optional<QJsonObject> summary;
    std::optional<QString> remoteId;
    std::optional<QString> remoteStatus;
    std::optional<QString> node;
    std::optional<QString> error;
    std::optional<int> exitCode;
    std::optional<QString> resultsUrl;

    static JobPatch withError(const QString &e)
    {
        JobPatch p;
        p.error = e;
        return p;
    }
};

} // namespace cd::store
