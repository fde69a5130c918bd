#include "session.h"

namespace cd::session {

Q_LOGGING_CATEGORY(lcSession, "crawldeck.session")

model::JobSpec Session::specOf(const model::Job &job)
{
    model::JobSpec spec;
    spec.kind = job.kind;
    spec.backend = job.backend;
    spec.priority = job.priority;
    spec.params = job.params;
    spec.maxAttempts = job.maxAttempts;
    spec.timeoutS = job.timeoutS;
    return spec;
}

void Session::clone(const QString &id, QObject *context, Reply<model::Job> done)
{
    job(id, context, [this, context, done](Result<model::Job> old) {
        if (!old)
            return done(old.error());
        create(specOf(old.value()), context, done);
    });
}

} // namespace cd::session
