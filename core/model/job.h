#pragma once

#include "common/result.h"
#include "jobstatus.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMetaType>
#include <QString>

#include <optional>

namespace cd::model {

struct Job
{
    QString id;
    QString kind = QStringLiteral("crawl");
    Backend backend = Backend::Local;
    JobStatus status = JobStatus::Queued;
    int priority = 0;
    QJsonObject params;
    int progress = 0;
    QJsonObject summary;
    int attempt = 1;
    int maxAttempts = 1;
    int timeoutS = 0; // 0 = no limit
    QString retryOf;
    QString remoteId;
    QString remoteStatus;
    QString node;
    QString error;
    std::optional<int> exitCode;
    QDateTime createdAt;
    QDateTime queuedAt;
    QDateTime startedAt;
    QDateTime finishedAt;
    QDateTime updatedAt;
    QString resultsUrl;
    qint64 logCount = 0;

    // How a completed job went, from its worker's [SUMMARY]: "partial" when it got less than it was
    // asked for ({"partial": true}, or {"status": "partial"} as the seed workers say it), else
    // "full". Empty while the job is not completed. Derived, so the API and the GUI cannot disagree.
    QString outcome() const;
    // The status as shown to people: "completed (partial)", "timed out", ...
    QString statusText() const;
    // Why a partial job stopped short (the summary's stopped_by), when it says.
    QString partialReason() const;

    QJsonObject toJson() const;
    // A job as toJson() writes it (the API's job object). Derived fields are ignored; a missing or
    // wrong id, status or backend is an error naming the field, other fields fall back to defaults.
    static Result<Job> fromJson(const QJsonObject &o);
    // Seconds from start to finish (or to now while running); -1 when it never started.
    qint64 durationSecs(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;
};

// What a client may ask for when it creates a job; the scheduler turns it into a Job.
struct JobSpec
{
    QString kind = QStringLiteral("crawl");
    Backend backend = Backend::Local;
    int priority = 0;
    QJsonObject params;
    int maxAttempts = 1;
    int timeoutS = 0;
    QString retryOf;
    int attempt = 1;
};

QString isoUtc(const QDateTime &t);

} // namespace cd::model

Q_DECLARE_METATYPE(cd::model::Job)
