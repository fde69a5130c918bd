#pragma once

#include "common/result.h"
#include "model/job.h"

#include <QObject>

namespace cd::runners {

struct RunOutcome
{
    enum class Kind { Completed, Failed, Cancelled, TimedOut };
    Kind kind = Kind::Failed;
    std::optional<int> exitCode;
    QString error;
};

// A backend that executes jobs. start() never blocks: the runner reports with started() and exactly
// one finished() per started job (also when it could not start at all).
class Runner : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    virtual model::Backend backend() const = 0;
    // Refuses a job this runner cannot take (unknown profile, backend not configured) before it is
    // queued, with a message that says what to configure.
    virtual Status validate(const model::JobSpec &spec) const = 0;
    virtual void start(const model::Job &job) = 0;
    virtual void cancel(const QString &jobId) = 0;
    virtual int activeCount() const = 0;
    // After a restart: pick up a job this backend was running (starting/running/cancelling). The
    // runner reports with started()/finished() as for start().
    virtual void reattach(const model::Job &job) = 0;
    // False for jobs that wait on someone else's work and should not hold one of the backend's
    // slots (an external worker reporting by callback).
    virtual bool takesSlot(const model::Job &) const { return true; }
    // Stops everything at exit; jobs left active are handled by restart recovery.
    virtual void shutdown() = 0;
    // Where a worker of this backend posts the job's log lines (the job's token included); empty
    // when this backend hands out none.
    virtual QString callbackUrl(const QString &) const { return {}; }

Q_SIGNALS:
    void started(const QString &jobId);
    void finished(const QString &jobId, const cd::runners::RunOutcome &outcome);
};

} // namespace cd::runners

Q_DECLARE_METATYPE(cd::runners::RunOutcome)
