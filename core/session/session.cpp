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

void completeNode(NodeStatus &node, const QDateTime &now, const QHash<QString, int> &jobsPerBackend)
{
    node.heartbeatAgeS = node.heartbeatAt.isValid() && now.isValid() ? node.heartbeatAt.secsTo(now) : -1;
    for (auto it = jobsPerBackend.cbegin(); it != jobsPerBackend.cend(); ++it)
        if (const auto b = model::backendFromString(it.key()))
            node.running.insert(*b, it.value());
}

} // namespace cd::session
