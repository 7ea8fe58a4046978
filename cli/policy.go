package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/syncaudit/syncaudit/detect/policy"
)

// NewCmdPolicy builds `syncaudit policy` and its subcommands.
func NewCmdPolicy(io *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with policy files that mark calls critical or deferrable",
	}
	var force bool
	initCmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented example policy file (default syncaudit-policy.yaml; - for stdout)",
		Example: `  syncaudit policy init
  syncaudit policy init team-policy.yaml
  syncaudit analyze traces/ --policy team-policy.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("policy init takes at most one FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "syncaudit-policy.yaml"
			if len(args) == 1 {
				path = args[0]
			}
			if path == "-" {
				_, err := fmt.Fprint(io.Out, policy.Example())
				return err
			}
			flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(path, flag, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return withCode(ExitUsage, fmt.Errorf("%s already exists (use --force to overwrite)", path))
			}
			if err != nil {
				return fmt.Errorf("policy init: %w", err)
			}
			if _, err := f.WriteString(policy.Example()); err != nil {
				f.Close()
				return fmt.Errorf("policy init: writing %s: %w", path, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("policy init: writing %s: %w", path, err)
			}
			fmt.Fprintf(io.ErrOut, "wrote %s\n", path)
			return nil
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	var check = &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a policy file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := policy.Load(args[0])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			fmt.Fprintf(io.Out, "%s: %d rule(s) OK\n", args[0], len(p.Rules))
			return nil
		},
	}
	cmd.AddCommand(initCmd, check)
	return cmd
}
