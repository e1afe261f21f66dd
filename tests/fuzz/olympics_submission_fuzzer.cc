// Olympics submissions (tinyperf olympics validate / leaderboard): the schema reader, the
// plausibility check (which never throws) and the leaderboard; an accepted submission must read
// back from its own JSON.
#include "fuzz_support.h"
#include "tinytorch/error.h"
#include "tinytorch/olympics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tinytorch;
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)ValidateSubmission(text);
  (void)BuildLeaderboard(OlympicEvent::kAllAround, "closed", {{"fuzz.json", text}}).ToMarkdown();
  Submission s;
  try {
    s = Submission::FromJson(text);
  } catch (const Error&) {
    return 0;
  }
  try {
    (void)Submission::FromJson(s.ToJson());
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    fuzz::Fail("Submission::FromJson rejects ToJson of a submission it accepted");
  }
  return 0;
}
