// Internal: names the calling thread, as `top -H`, `ps -L`, gdb and perf show it. Linux keeps at
// most 15 bytes of a name; a longer one is cut rather than refused.
#pragma once

#include <pthread.h>

#include <string>
#include <utility>

namespace gatehouse::posix {

// `thread`: a running thread's handle (std::thread::native_handle()).
inline void name_thread(pthread_t thread, std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(thread, name.c_str());
}

inline void name_this_thread(std::string name) {
  name_thread(pthread_self(), std::move(name));
}

}  // namespace gatehouse::posix
