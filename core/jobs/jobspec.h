#pragma once

#include "common/result.h"
#include "model/job.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>

#include <optional>

namespace cd::jobs {

// A local job with this profile starts no process: its worker runs elsewhere and reports by
// callback (the seed flow). It completes with the worker's [SUMMARY] line or when cancelled.
inline const QString kExternalProfile = QStringLiteral("external");

// Where a create-job request came from; the seed's route keeps the seed's defaults.
enum class Origin {
    SeedStart, // POST /api/crawler/start: keywords required, domain_count defaults to 5
    Api,       // POST /api/jobs, the GUI's dialog, the command line
};

// The one validation of a new job. Seed fields (`keywords`, `domain_count`, `start_urls`,
// `profile`) may be given at the top level or inside `params` (not both with different values) and
// end up in params. Unknown fields, nulls and wrong types are 422s that name the field; integers are
// read as the seed's pydantic model read them (3, 3.0, "3" and true are accepted).
Result<model::JobSpec> fromJson(const QJsonObject &body, Origin origin);

// Top-level fields fromJson accepts.
const QStringList &knownFields();

// The seed rule, in one place: a seed-style local job with neither a profile nor start URLs has
// nothing for the built-in crawler to do, so it waits for an external worker instead.
bool waitsForExternalWorker(const model::JobSpec &spec, Origin origin);
// The job's worker runs elsewhere and reports by callback.
bool isExternal(const QJsonObject &params);

// The built-in crawler's params, checked with the parser its worker uses; keys it does not know
// are 422s with a suggestion. Other profiles' params are free-form.
Status checkCrawlerParams(const QJsonObject &params);

// pydantic's lax integer: a JSON number without a fraction, a string holding one, or a boolean.
std::optional<qint64> laxInt(const QJsonValue &v);

// What a JSON value is, for messages: "a number", "a list", "null"...
QString typeName(const QJsonValue &v);

// " (did you mean 'x'?)" for the nearest known name by edit distance, or empty when none is close.
QString suggestion(const QString &name, const QStringList &known);
// A 422 that names every unknown key, with suggestions; `where` is prefixed to the names
// ("params." for keys inside params).
Error unknownKeys(const QStringList &unknown, const QStringList &known, const QString &where = {});

} // namespace cd::jobs
