#include "healthcontroller.h"

#include "router.h"
#include "scheduler/scheduler.h"
#include "ssehub.h"
#include "store/jobstore.h"

#include <QJsonObject>

namespace cd::http {

HealthController::HealthController(Services services, QString version, QObject *parent)
    : QObject(parent), m_s(std::move(services)), m_version(std::move(version))
{
    m_uptime.start();
}

void HealthController::registerRoutes(Router &router)
{
    // GET /health — open. 200 {status:"ok", version, uptime_s, jobs:{<status>:n}, backends:{<id>:
    // {slots, running}}, streams}. Job counts only, no ids or params.
    router.add(QHttpServerRequest::Method::Get, QStringLiteral("/health"), Access::Open,
               [this](const Request &, Reply &&reply) {
                   QJsonObject counts;
                   const auto byStatus = m_s.jobs->countsByStatus();
                   for (auto s : model::allStatuses())
                       counts.insert(model::toString(s), byStatus.value(s, 0));
                   QJsonObject backends;
                   for (auto b : model::allBackends()) {
                       if (!m_s.scheduler->hasBackend(b))
                           continue;
                       backends.insert(model::toString(b),
                                       QJsonObject{{QStringLiteral("slots"), m_s.scheduler->slots(b)},
                                                   {QStringLiteral("running"), m_s.scheduler->running(b)}});
                   }
                   reply.json(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                                          {QStringLiteral("version"), m_version},
                                          {QStringLiteral("uptime_s"), m_uptime.elapsed() / 1000},
                                          {QStringLiteral("jobs"), counts},
                                          {QStringLiteral("backends"), backends},
                                          {QStringLiteral("streams"), m_s.sse ? m_s.sse->subscriberCount() : 0}});
               });
}

} // namespace cd::http
