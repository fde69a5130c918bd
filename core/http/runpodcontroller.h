#pragma once

#include "services.h"

#include <QObject>

#include <functional>

namespace cd::runners {
class RunPodClient;
class RunPodHealthCache;
} // namespace cd::runners

namespace cd::http {

class Router;
struct Request;
class Reply;

// RunPod's completion webhook (RunPod does not sign webhooks, so the URL we hand it carries the
// job's token), and the endpoint's health as the window's RunPod panel shows it.
class RunPodController : public QObject
{
    Q_OBJECT
public:
    RunPodController(Services services, QObject *parent = nullptr);
    ~RunPodController() override;
    // Where the health route reads from: null (or never set) while the backend is not configured.
    void setHealthSource(std::function<runners::RunPodClient *()> client);
    runners::RunPodHealthCache *healthCache() const { return m_health; }
    void registerRoutes(Router &router);

private:
    void webhook(const Request &req, Reply &&reply);
    void health(Reply &&reply);

    Services m_s;
    runners::RunPodHealthCache *m_health;
};

} // namespace cd::http
