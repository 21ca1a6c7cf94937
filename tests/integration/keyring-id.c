/* Prints the serial of the caller's session keyring: the integration tests
 * run it on the host and inside a container to see whether the container
 * got a keyring of its own (default) or kept the caller's (--no-new-keyring).
 * Linked statically so it runs in the busybox rootfs. */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

int
main (void)
{
  long id = syscall (SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  if (id < 0)
    {
      perror ("keyctl KEYCTL_GET_KEYRING_ID");
      return 1;
    }
  printf ("%ld\n", id);
  return 0;
}
