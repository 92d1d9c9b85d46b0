// vmnctl-ofc: the bundled mobility controller. Wiring only; the work is in libvmnmob.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::puts("vmnctl-ofc 0.1.0");
      return 0;
    }
  }
  std::fputs("vmnctl-ofc: the controller is not wired yet (see issues 3-5)\n", stderr);
  return 2;
}
