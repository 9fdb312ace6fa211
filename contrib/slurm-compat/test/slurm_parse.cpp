#include <criterion/criterion.h>
Test(slurm, placeholder) {}
