#pragma once

#include "runners/runpodhealth.h"
#include "session.h"

namespace cd::session {

// What the RunPod panel shows, from a health read in process or from the server's route.
inline RunPodHealth runpodHealthFrom(const runners::RunPodHealthSnapshot &h)
{
    return RunPodHealth{h.configured, h.error, h.running, h.idle, h.queued};
}

} // namespace cd::session
